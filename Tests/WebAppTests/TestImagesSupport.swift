import Foundation
@testable import WebAppTasks

/// Images the tests make: uniform 16×16 blocks of known colours, so an exact scale by a
/// whole factor keeps each block's colour exactly.
enum TestImages {
    /// The colour of block (`bx`, `by`).
    static func blockColor(_ bx: Int, _ by: Int) -> (UInt8, UInt8, UInt8) {
        (UInt8(bx * 60 % 256), UInt8(by * 80 % 256), UInt8((200 + 256 - bx * 40 % 256) % 256))
    }

    /// `width × height` pixels of 16×16 blocks.
    static func blocks(width: Int = 64, height: Int = 48, block: Int = 16) throws -> RGBImage {
        try RGBImage(width: width, height: height) { x, y in blockColor(x / block, y / block) }
    }

    /// A smooth image (gradients and a diagonal), where filters and compression have work to do.
    static func gradient(width: Int = 37, height: Int = 23) throws -> RGBImage {
        try RGBImage(width: width, height: height) { x, y in
            (UInt8(x * 255 / max(1, width - 1)), UInt8(y * 255 / max(1, height - 1)), UInt8((x + y) * 7 % 256))
        }
    }

    /// A temporary directory for one test.
    static func directory(_ name: String) throws -> String {
        let d = NSTemporaryDirectory() + "webapp-test-\(name)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    static func write(_ bytes: [UInt8], _ path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    static func read(_ path: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }
}
