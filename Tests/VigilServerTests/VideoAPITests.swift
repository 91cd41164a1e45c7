import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import VigilDomain
import VigilMedia
import VigilServer
import VigilStore
import VigilTestSupport

/// Videos through the node's routes, on clips ffmpeg makes for the test (lavfi patterns): hashed,
/// listed as vpdq entries, matched by upload and by value with the list's policy applied, and
/// broken videos refused with a reason while nothing is stored and the node keeps serving.
@Suite("Video routes", .serialized)
struct VideoAPITests {
    struct Clips {
        var folder: URL
        func path(_ name: String) -> String { folder.appendingPathComponent(name).path }
        func bytes(_ name: String) throws -> ByteBuffer { ByteBuffer(bytes: try Data(contentsOf: URL(fileURLWithPath: path(name)))) }
    }

    /// A 10 s Mandelbrot zoom (the listed video), its copies, and an unrelated clip.
    static func makeClips() throws -> Clips {
        let clips = Clips(folder: try ClipMaker.temporaryFolder("clips-api"))
        let x264 = ["-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p"]
        try ClipMaker.ffmpeg(
            ["-f", "lavfi", "-i", "mandelbrot=size=480x270:rate=30:start_scale=2:end_scale=0.05", "-t", "10"] + x264 + [clips.path("original.mp4")])
        try ClipMaker.ffmpeg(
            ["-f", "lavfi", "-i", "life=size=480x270:rate=30:seed=7:mold=10:ratio=0.2:death_color=#203040:life_color=#f0c080", "-t", "10"]
                + x264 + [clips.path("unrelated.mp4")])
        let original = clips.path("original.mp4")
        try ClipMaker.ffmpeg(["-i", original, "-c:v", "mpeg4", "-q:v", "12", clips.path("reencoded.avi")])
        try ClipMaker.ffmpeg(["-ss", "3", "-i", original, "-t", "5"] + x264 + [clips.path("trimmed.mkv")])
        try ClipMaker.ffmpeg(["-i", original, "-vf", "scale=240:136"] + x264 + [clips.path("resized.mp4")])
        return clips
    }

    @Test(
        "a listed video is found by its copies, through the upload and by its vPDQ value, with its policy",
        arguments: [VideoSettings.Decoder.ffmpeg, .framer])
    func videosMatchThroughTheRoutes(decoder: VideoSettings.Decoder) async throws {
        let clips = try Self.makeClips()
        defer { try? FileManager.default.removeItem(at: clips.folder) }
        let node = try await TestNode.make(settings: try Self.settings(decoder))
        try await node.application.test(.router) { client in
            try await client.execute(
                uri: "/v1/lists", method: .post, headers: node.headers(.curate), body: jsonBody(["name": "videos", "kind": "known_abuse_material"])
            ) { #expect($0.status == .created) }
            // /v1/hash gives the video's vPDQ: ten frames, one per second.
            var vpdq = ""
            try await client.execute(uri: "/v1/hash", method: .post, headers: node.headers(.hash, json: false), body: try clips.bytes("original.mp4"))
            {
                #expect($0.status == .ok)
                vpdq = $0.json["vpdq"] as? String ?? ""
                #expect($0.json["frames_hashed"] as? Int == 10 && $0.json["format"] as? String == "mp4" && $0.json["pdq"] == nil)
                #expect(($0.json["sha256"] as? String)?.count == 64 && $0.json["width"] as? Int == 480)
            }
            #expect(vpdq.split(separator: "\n").count == 10)
            // Listed as a vpdq entry with provenance, through the entries route.
            let entry: [String: Any] = ["type": "vpdq", "value": vpdq, "provenance": ["source_organisation": "Test", "source_item_id": "clip-1"]]
            var entryId = 0
            try await client.execute(
                uri: "/v1/lists/videos/entries", method: .post, headers: node.headers(.curate), body: jsonBody(["entries": [entry]])
            ) {
                #expect($0.status == .created || $0.status == .ok, "\($0.status) \(String(buffer: $0.body))")
                entryId = ($0.json["ids"] as? [Int])?.first ?? 0
            }
            #expect(entryId > 0)
            try await client.execute(
                uri: "/v1/lists/videos/action", method: .put, headers: node.headers(.curate), body: jsonBody(["action": "block"])
            ) {
                #expect($0.status == .ok)
            }
            try await client.execute(uri: "/v1/index/status", method: .get, headers: node.headers(.match)) {
                #expect($0.json["vpdq_entries"] as? Int == 1)
            }
            // Each copy matches the listed video; the unrelated clip does not.
            for (name, minimumCompared) in [("reencoded.avi", 80.0), ("trimmed.mkv", 40.0), ("resized.mp4", 80.0), ("original.mp4", 100.0)] {
                try await client.execute(
                    uri: "/v1/match/file", method: .post, headers: node.headers(.match, json: false), body: try clips.bytes(name)
                ) {
                    #expect($0.status == .ok, "\(name): \(String(buffer: $0.body))")
                    let matches = $0.json["matches"] as? [[String: Any]] ?? []
                    let query = $0.json["query"] as? [String: String] ?? [:]
                    let queryPercent = matches.first?["query_match_percent"] as? Double ?? -1
                    let comparedPercent = matches.first?["compared_match_percent"] as? Double ?? -1
                    print(
                        "video route match \(name): query \(queryPercent) %, compared \(comparedPercent) % (\(query["frames_hashed"] ?? "?") frames)")
                    #expect(
                        matches.count == 1 && matches.first?["entry_id"] as? Int == entryId && matches.first?["type"] as? String == "vpdq", "\(name)")
                    #expect(queryPercent >= 80 && comparedPercent >= minimumCompared, "\(name)")
                    #expect((matches.first?["explanation"] as? String)?.contains("within 31 bits") == true)
                    #expect((matches.first?["provenance"] as? [String: Any])?["source_item_id"] as? String == "clip-1")
                    #expect(($0.json["actions"] as? [[String: Any]])?.first?["action"] as? String == "block", "\(name)")
                    #expect(query["vpdq"]?.isEmpty == false && query["md5"]?.count == 32)
                }
            }
            try await client.execute(
                uri: "/v1/match/file", method: .post, headers: node.headers(.match, json: false), body: try clips.bytes("unrelated.mp4")
            ) {
                #expect($0.status == .ok)
                #expect(($0.json["matches"] as? [Any])?.isEmpty == true && ($0.json["actions"] as? [Any])?.isEmpty == true)
            }
            // The trimmed clip's vPDQ, given as a value, matches the same way.
            var trimmed = ""
            try await client.execute(uri: "/v1/hash", method: .post, headers: node.headers(.hash, json: false), body: try clips.bytes("trimmed.mkv"))
            {
                trimmed = $0.json["vpdq"] as? String ?? ""
            }
            try await client.execute(
                uri: "/v1/match/hash", method: .post, headers: node.headers(.match), body: jsonBody(["type": "vpdq", "value": trimmed])
            ) {
                #expect($0.status == .ok, "\(String(buffer: $0.body))")
                let matches = $0.json["matches"] as? [[String: Any]] ?? []
                #expect(matches.first?["entry_id"] as? Int == entryId && (matches.first?["query_match_percent"] as? Double ?? 0) >= 80)
            }
            // (A stricter compared threshold, a node setting, is tested on the engine: VideoMatchingTests.)
            // Exported with provenance (vigil-jsonl), and deleted: then nothing matches.
            try await client.execute(uri: "/v1/lists/videos/export?format=vigil-jsonl", method: .get, headers: node.headers(.curate)) {
                #expect($0.status == .ok)
                let text = String(buffer: $0.body)
                #expect(text.contains(#""type":"vpdq""#) && text.contains("clip-1") && text.split(separator: "\n").count == 1)
            }
            try await client.execute(uri: "/v1/lists/videos/entries/\(entryId)", method: .delete, headers: node.headers(.curate)) {
                #expect($0.status == .noContent || $0.status == .ok)
            }
            try await client.execute(
                uri: "/v1/match/file", method: .post, headers: node.headers(.match, json: false), body: try clips.bytes("trimmed.mkv")
            ) {
                #expect($0.status == .ok)
                #expect(($0.json["matches"] as? [Any])?.isEmpty == true)
            }
        }
    }

    /// The test node's settings with small video limits (so a "huge" frame is small to make), with
    /// `decoder` (the framer: the one `swift build` put beside the tests).
    static func settings(_ decoder: VideoSettings.Decoder) throws -> ServerSettings {
        var settings = TestNode.defaultSettings
        settings.maxBodyBytes = 8 << 20
        settings.video.maxPixels = 640 * 480
        settings.video.timeLimitSeconds = 30
        settings.video.decoder = decoder
        if decoder == .framer {
            settings.video.framerPath = try #require(FramerOptions.besideRunningExecutable(), "vigil-framer is built beside the tests").executable
        }
        return settings
    }

    @Test("broken videos are a 4xx with a reason; nothing is stored and the node keeps serving", arguments: [VideoSettings.Decoder.ffmpeg, .framer])
    func brokenVideosAreRefused(decoder: VideoSettings.Decoder) async throws {
        let clips = Clips(folder: try ClipMaker.temporaryFolder("clips-bad"))
        defer { try? FileManager.default.removeItem(at: clips.folder) }
        try ClipMaker.testPattern(at: clips.path("good.mp4"), seconds: 2)
        try ClipMaker.testPattern(at: clips.path("large.mp4"), size: "800x600", seconds: 1)
        try ClipMaker.ffmpeg(["-f", "lavfi", "-i", "sine=frequency=440:duration=2", "-c:a", "aac", clips.path("audio.mp4")])
        let good = try Data(contentsOf: URL(fileURLWithPath: clips.path("good.mp4")))
        // The MP4's index (moov) is at its end: cut off, nothing can be decoded.
        let truncated = ByteBuffer(bytes: good.prefix(good.count / 2))
        // The container's header, then noise.
        var noise = [UInt8](good.prefix(32))
        var state: UInt32 = 7
        for _ in 0..<20_000 {
            state = state &* 1_664_525 &+ 1_013_904_223
            noise.append(UInt8(truncatingIfNeeded: state >> 24))
        }
        let corrupt = ByteBuffer(bytes: noise)
        // The node's own temporary folder, so that other tests' files cannot be taken for its leftovers.
        let uploads = try ClipMaker.temporaryFolder("uploads")
        defer { try? FileManager.default.removeItem(at: uploads) }
        var settings = try Self.settings(decoder)
        settings.video.temporaryFolder = uploads.path
        let node = try await TestNode.make(settings: settings)
        try await node.application.test(.router) { client in
            let cases: [(String, ByteBuffer, HTTPResponse.Status, [String])] = [
                ("zero-length", ByteBuffer(), .badRequest, ["empty_body"]),
                ("truncated", truncated, .unprocessableContent, ["truncated", "corrupt"]),
                ("corrupt", corrupt, .unprocessableContent, ["corrupt", "truncated"]),
                ("no video stream", try clips.bytes("audio.mp4"), .unprocessableContent, ["no_video_stream"]),
                ("frame too large", try clips.bytes("large.mp4"), .unprocessableContent, ["frame_too_large"]),
            ]
            for (name, body, status, codes) in cases {
                for uri in ["/v1/match/file", "/v1/hash"] {
                    let scope: Scope = uri == "/v1/hash" ? .hash : .match
                    try await client.execute(uri: uri, method: .post, headers: node.headers(scope, json: false), body: body) {
                        let message = (($0.json["error"] as? [String: Any])?["message"] as? String) ?? ""
                        print("video route refusal \(name) on \(uri): \($0.status.code) \($0.errorCode ?? "-"): \(message)")
                        #expect($0.status == status, "\(name) \(uri)")
                        #expect(codes.contains($0.errorCode ?? ""), "\(name) \(uri): \($0.errorCode ?? "-")")
                        #expect(!message.isEmpty, "\(name)")
                    }
                }
            }
            // A vpdq entry that is not vPDQ text is refused with its line and field.
            _ = try await node.store.createList(HashList(name: "videos", kind: .internal))
            try await client.execute(
                uri: "/v1/lists/videos/entries", method: .post, headers: node.headers(.curate),
                body: jsonBody(["entries": [["type": "vpdq", "value": "0,100,\(String(repeating: "a", count: 64)),0.000\n0,100,zz,1.000"]]])
            ) {
                #expect($0.status == .badRequest)
                #expect(String(buffer: $0.body).contains("line 2"))
            }
            #expect(try await node.store.list(named: "videos").entryCount == 0)
            #expect(try await node.store.changes(after: 0, limit: 10).isEmpty)
            // Still serving: a good video hashes.
            try await client.execute(uri: "/v1/hash", method: .post, headers: node.headers(.hash, json: false), body: try clips.bytes("good.mp4")) {
                #expect($0.status == .ok)
                #expect($0.json["frames_hashed"] as? Int == 2)
            }
        }
        // No temporary copy of an upload is left behind (and uploads did go to the folder set).
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: uploads.path)
        #expect(leftovers.isEmpty, "\(leftovers)")
    }
}
