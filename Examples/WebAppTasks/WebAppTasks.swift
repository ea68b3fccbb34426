import Celery
import Foundation

/// The web-app example's tasks (hosted in the web process or by `celery-webapp-example worker`):
///
/// | name | arguments | does / returns |
/// |---|---|---|
/// | `webapp.send_welcome_mail` | email, name | writes `<outbox>/<task-id>.eml`; `{path, bytes, to}` |
/// | `webapp.cleanup_uploads` | max_age_seconds | deletes older uploads; the count |
/// | `webapp.make_thumbnail` | upload, max_side, format, pause_ms | scales `<data>/uploads/<upload>` to `<data>/thumbnails/<task-id>.<format>`, reporting PROGRESS `{current, total}`; `{path, format, width, height, bytes, source_width, source_height}` |
///
/// Both are idempotent: the output file is named after the task id and replaced atomically,
/// so a redelivered message (at-least-once delivery) writes the same file again, never a second one.
public enum WebAppTasks {
    /// `webapp.send_welcome_mail`.
    public static let sendWelcomeMail = "webapp.send_welcome_mail"
    /// `webapp.make_thumbnail`.
    public static let makeThumbnail = "webapp.make_thumbnail"
    /// `webapp.cleanup_uploads` (sent by the app's beat with `--cleanup-every`).
    public static let cleanupUploads = "webapp.cleanup_uploads"
    /// Largest accepted `max_side`: 1024 pixels.
    public static let maxThumbnailSide = 1024

    /// Registers both tasks on an app, with files under `settings`.
    public static func register(on app: Celery, settings: WebAppSettings) {
        app.task(sendWelcomeMail, options: TaskOptions(parameterNames: ["email", "name"], blocking: true)) { (ctx, email: String, name: String) -> JSONValue in
            try await failing {
                let mail = try WelcomeMail(to: email, name: name, id: ctx.id)
                let path = settings.outbox + "/\(ctx.id).eml"
                let bytes = Array(mail.rfc5322.utf8)
                try settings.createDirectories()
                try WebAppSettings.writeAtomically(bytes, to: path)
                ctx.logger.info("welcome mail to \(email) written to \(path)")
                return ["path": .string(path), "bytes": .int(Int64(bytes.count)), "to": .string(mail.to)]
            }
        }
        app.task(makeThumbnail, options: TaskOptions(parameterNames: ["upload", "max_side", "format", "pause_ms"], blocking: true)) {
            (ctx, upload: String, maxSide: Int?, format: String?, pauseMs: Int?) -> JSONValue in
            try await failing {
                try await thumbnail(ctx, settings: settings, upload: upload, maxSide: maxSide ?? 128, format: format ?? "png", pauseMs: pauseMs ?? 0)
            }
        }
        app.task(cleanupUploads, options: TaskOptions(parameterNames: ["max_age_seconds"], blocking: true)) { (ctx, maxAge: Double) -> Int in
            let n = try cleanup(settings: settings, maxAge: max(0, maxAge))
            if n > 0 { ctx.logger.info("removed \(n) upload(s) older than \(maxAge)s") }
            return n
        }
    }

    /// Deletes uploads older than `maxAge` seconds (their thumbnails stay); returns how many.
    /// Idempotent: a second run finds nothing more to delete.
    static func cleanup(settings: WebAppSettings, maxAge: Double) throws -> Int {
        let fm = FileManager.default
        let names = (try? fm.contentsOfDirectory(atPath: settings.uploads)) ?? []
        let cutoff = Date().addingTimeInterval(-maxAge)
        var removed = 0
        for n in names where WebAppSettings.isSafeFileName(n) {
            let path = settings.uploads + "/" + n
            if let d = (try? fm.attributesOfItem(atPath: path))?[.modificationDate] as? Date, d < cutoff, (try? fm.removeItem(atPath: path)) != nil {
                removed += 1
            }
        }
        return removed
    }

    static func thumbnail(_ ctx: TaskContext, settings: WebAppSettings, upload: String, maxSide: Int, format: String, pauseMs: Int) async throws -> JSONValue {
        guard WebAppSettings.isSafeFileName(upload) else { throw WebAppError(.badInput, "upload name '\(upload.prefix(80))' is not a plain file name") }
        guard (1...maxThumbnailSide).contains(maxSide) else { throw WebAppError(.badInput, "max_side must be 1…\(maxThumbnailSide), got \(maxSide)") }
        guard let out = ImageFormat(rawValue: format.lowercased()) else { throw WebAppError(.badInput, "format must be png or ppm, got '\(format.prefix(20))'") }
        guard (0...5_000).contains(pauseMs) else { throw WebAppError(.badInput, "pause_ms must be 0…5000") }
        let source = settings.uploads + "/" + upload
        guard let data = FileManager.default.contents(atPath: source) else { throw WebAppError(.io, "upload \(upload) is not in \(settings.uploads)") }
        let image = try ImageFormat.decode(Array(data))
        let scaler = ImageScaler(maxSide: maxSide)
        let thumb = try await scaler.scale(image) { done, total in
            try await ctx.progress(current: done, total: total)
            if pauseMs > 0 { try await Task.sleep(for: .milliseconds(pauseMs)) }
        }
        let bytes = try out.encode(thumb)
        try settings.createDirectories()
        let path = settings.thumbnails + "/\(ctx.id).\(out.fileExtension)"
        try WebAppSettings.writeAtomically(bytes, to: path)
        ctx.logger.info("thumbnail \(thumb.width)×\(thumb.height) of \(upload) written to \(path)")
        return [
            "path": .string(path), "format": .string(out.rawValue), "width": .int(Int64(thumb.width)), "height": .int(Int64(thumb.height)),
            "bytes": .int(Int64(bytes.count)), "source_width": .int(Int64(image.width)), "source_height": .int(Int64(image.height)),
        ]
    }

    /// Runs `body`, turning a ``WebAppError`` into a ``TaskFailure`` (stored as FAILURE with
    /// `exc_type` the error kind and its message).
    static func failing(_ body: () async throws -> JSONValue) async throws -> JSONValue {
        do { return try await body() } catch let e as WebAppError {
            throw TaskFailure(type: e.kind.rawValue, module: "webapp", message: e.message)
        }
    }
}
