import Crypto
import Foundation
import Hummingbird
import NIOCore
import VigilDomain
import VigilHash
import VigilHex
import VigilMatching
import VigilPipeline

// Hashing (`/h`): HMA's hash routes.
extension HMAController {
    /// PdqSignal.QUALITY_THRESHOLD: a PDQ hash of lower quality is answered as "".
    static let pdqQualityThreshold = 50

    func addHashing(to hash: AuthorisedRoutes) {
        hash.on(.get, "hash", "hmaHashURL") { request, _ -> Response in
            let query = request.uri.queryParameters
            let url = try HMAFields.required(["url"], in: HMAFields.pairs(query))[0]
            let hashes = try await hmaHashURL(url, contentType: query.get("content_type"), types: query.get("types"))
            return try HMAValue.object(hashes.mapValues(HMAValue.string)).response()
        }
        hash.on(.post, "hash", "hmaHashUpload") { request, _ -> Response in
            let upload = try await hmaUpload(request)
            return try HMAValue.object(try await hmaHash(upload.file, types: request.uri.queryParameters.get("types")).mapValues(HMAValue.string))
                .response()
        }
    }

    /// Fetches `url` under the node's URL policy (off unless hosts are allowed: 403) and hashes it
    /// as HMA's `content_type`: the one given, or, as HMA reads it, the response's `Content-Type`
    /// (`image/…` a photo, `video/…` a video; anything else is 400 before the body is read).
    /// Refused URLs are 400 `Invalid or unsafe URL provided`, failed fetches 400 `Failed to fetch
    /// URL`, each with the problem named; a body over the limit is 413 `Content too large`.
    func hmaHashURL(_ url: String, contentType: String?, types: String?) async throws -> [String: String] {
        if let contentType, !HMASignalTypes.contentTypes.contains(where: { $0.name == contentType }) {
            throw HMAError.badRequest("no such content_type: '\(contentType)'")
        }
        guard fetcher.isEnabled else {
            throw HMAError(.forbidden, "fetching by URL is off on this node; start it with --allow-url-host HOST")
        }
        let fetched: FetchedContent
        do {
            fetched = try await fetcher.content(at: url) { served in
                if contentType == nil { _ = try Self.contentType(served: served) }
            }
        } catch let error as OutboundError {
            throw Self.hmaError(error)
        }
        let name = try contentType ?? Self.contentType(served: fetched.contentType)
        return try await hmaHash(MultipartPart(name: name, filename: nil, body: fetched.bytes), types: types)
    }

    /// HMA's content type for a served `Content-Type`: `photo` for images, `video` for videos.
    static func contentType(served: String?) throws -> String {
        let served = served ?? ""
        if served.lowercased().hasPrefix("image") { return "photo" }
        if served.lowercased().hasPrefix("video") { return "video" }
        throw HMAError.badRequest(
            "unsupported url ContentType: '\(served)', if you know the expected type, provide it with the content_type query param")
    }

    /// HMA's answer for a refused or failed fetch.
    static func hmaError(_ error: OutboundError) -> HMAError {
        switch error.underlying {
        case .invalidURL, .hostNotAllowed, .addressRefused: HMAError.badRequest("Invalid or unsafe URL provided: \(error)")
        case .tooLarge: HMAError(.contentTooLarge, "Content too large")
        case .nodeBusy: HMAError(.serviceUnavailable, error.description, headers: [.retryAfter: "1"])
        case .originBusy: HMAError(.tooManyRequests, error.description, headers: [.retryAfter: "1"])
        default: HMAError.badRequest("Failed to fetch URL: \(error)")
        }
    }

    /// The single uploaded file of a multipart request, by HMA's rules: one file, under a field
    /// named for its content type; with the form's other fields.
    func hmaUpload(_ request: Request) async throws -> (file: MultipartPart, fields: [String: String]) {
        guard let contentType = request.headers[.contentType], let boundary = MultipartForm.boundary(contentType: contentType) else {
            throw HMAError.badRequest("Missing multipart/form-data file upload")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: settings.maxBodyBytes)
        } catch {
            throw HMAError(.contentTooLarge, "Content too large: the upload is over \(settings.maxBodyBytes) bytes")
        }
        guard let parts = MultipartForm.parse(Array(buffer.readableBytesView), boundary: boundary) else {
            throw HMAError.badRequest("the multipart/form-data body is not well formed")
        }
        let files = parts.filter { $0.filename != nil }
        guard let file = files.first else { throw HMAError.badRequest("Missing multipart/form-data file upload") }
        guard files.count == 1 else { throw HMAError.badRequest("Only one file allowed per request") }
        var fields: [String: String] = [:]
        for part in parts where part.filename == nil { fields[part.name] = String(decoding: part.body, as: UTF8.self) }
        return (file, fields)
    }

    /// Hashes an upload by its field name (`photo` → pdq, `video` → video_md5 and vpdq), optionally
    /// only the comma-separated `types`. Only the types this node's HMA routes serve are hashed; a
    /// video's vpdq is python-threatexchange's signal string of one frame per second.
    func hmaHash(_ file: MultipartPart, types: String?) async throws -> [String: String] {
        guard let contentType = HMASignalTypes.contentTypes.first(where: { $0.name == file.name }) else {
            throw HMAError.badRequest("no such content_type: '\(file.name)'")
        }
        // HMA hashes only the enabled signal types of the content type (a negative enabled_ratio disables one).
        let ratios = engine.signalTypeRatios
        let served = contentType.signals.filter { hmaSignalType(named: $0) != nil }
        var wanted = served.filter { HMASignalTypes.isEnabled($0, ratios: ratios) }
        if let types {
            wanted = []
            for name in types.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !name.isEmpty {
                guard served.contains(name), HMASignalTypes.isEnabled(name, ratios: ratios) else {
                    throw HMAError.badRequest("signal type '\(name)' doesn't exist or is disabled")
                }
                wanted.append(name)
            }
            guard !wanted.isEmpty else { throw HMAError.badRequest("empty signal type selection") }
        }
        guard !file.body.isEmpty else { throw HMAError.badRequest("the uploaded file is empty") }
        var hashes: [String: String] = [:]
        for name in wanted {
            switch name {
            case "pdq":
                // python-threatexchange's gate: below quality 50 an image is too unreliable to
                // match on, and HMA answers its PDQ as "" (a lookup or add of it is then refused).
                let pdq = try await hashing.hash(file.body, dihedral: false).pdq
                hashes[name] = pdq.quality < Self.pdqQualityThreshold ? "" : pdq.hash.hex
            case "vpdq":
                // HMA hashes with VPDQSignal.hash_from_file (one frame per second); the node's
                // video settings (limits, colour path) apply as on /v1.
                let video = try await hashing.hashVideo(file.body)
                hashes[name] = VPDQSignalString.format(video.result.features)
            default: hashes[name] = Hex.encode(Insecure.MD5.hash(data: file.body))
            }
        }
        return hashes
    }
}
