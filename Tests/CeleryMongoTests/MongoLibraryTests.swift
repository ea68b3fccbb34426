import CMongoCABICheck
import Celery
import Testing

@testable import CeleryMongo

/// `Sources/CMongoC` declares libmongoc's types and prototypes itself and loads the library
/// with `dlopen`: its declarations must be the installed headers' (`Tests/CMongoCABICheck`).
@Suite struct MongoLibraryTests {
    @Test func ownDeclarationsMatchTheInstalledHeaders() {
        var names = [CChar](repeating: 0, count: 4096)
        let mismatches = cmongoc_abi_mismatches(&names, names.count)
        let version = String(cString: cmongoc_abi_header_version())
        let differing = String(decoding: names.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        #expect(mismatches == 0, "Sources/CMongoC differs from the libmongoc \(version) headers in: \(differing)")
        // Every struct, enum value, option name and function of the table is compared.
        #expect(cmongoc_abi_checked_count() >= 132)
    }

    @Test func libraryLoadsOnceAndWorks() throws {
        try MongoLibrary.load()
        try MongoLibrary.load()
        let doc = try BSONDocument([BSONField("k", .int32(7))])
        #expect(doc.byteCount == 12)
        #expect(doc.extendedJSON.contains("\"$numberInt\" : \"7\""))
    }
}
