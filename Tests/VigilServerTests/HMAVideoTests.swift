import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import VigilDomain
import VigilServer
import VigilTestSupport

/// HMA's `vpdq` signal type (python-threatexchange's vPDQ extension) on the HMA routes: hashed from
/// uploaded videos, banked, looked up, compared and read back in python-threatexchange's signal
/// string, a JSON list of "pdqHex,quality,timestamp" strings, on clips ffmpeg makes for the test.
@Suite("HMA vpdq", .serialized)
struct HMAVideoTests {
    typealias HMA = HMACompatibilityTests

    /// A 10 s Mandelbrot zoom (the banked video), seconds 3-8 of it, and an unrelated clip.
    static func makeClips() throws -> (folder: URL, bytes: [String: [UInt8]]) {
        let folder = try ClipMaker.temporaryFolder("clips-hma")
        let x264 = ["-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p"]
        let original = folder.appendingPathComponent("original.mp4").path
        try ClipMaker.ffmpeg(["-f", "lavfi", "-i", "mandelbrot=size=480x270:rate=30:start_scale=2:end_scale=0.05", "-t", "10"] + x264 + [original])
        try ClipMaker.ffmpeg(["-ss", "3", "-i", original, "-t", "5"] + x264 + [folder.appendingPathComponent("trimmed.mkv").path])
        try ClipMaker.ffmpeg(
            ["-f", "lavfi", "-i", "life=size=480x270:rate=30:seed=7:mold=10:ratio=0.2:death_color=#203040:life_color=#f0c080", "-t", "10"]
                + x264 + [folder.appendingPathComponent("unrelated.mp4").path])
        var bytes: [String: [UInt8]] = [:]
        for name in ["original.mp4", "trimmed.mkv", "unrelated.mp4"] {
            bytes[name] = Array(try Data(contentsOf: folder.appendingPathComponent(name)))
        }
        return (folder, bytes)
    }

    static var settings: ServerSettings {
        var settings = TestNode.defaultSettings
        settings.maxBodyBytes = 8 << 20
        settings.video.maxPixels = 640 * 480
        settings.video.timeLimitSeconds = 30
        return settings
    }

    /// The items of a vpdq signal string.
    static func items(_ signal: String) -> [String] {
        (try? JSONSerialization.jsonObject(with: Data(signal.utf8))) as? [String] ?? []
    }

    static func query(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? value
    }

    @Test("a video is hashed, banked, looked up and compared as HMA's vpdq")
    func videoThroughTheHMARoutes() async throws {
        let clips = try Self.makeClips()
        defer { try? FileManager.default.removeItem(at: clips.folder) }
        let node = try await TestNode.make(settings: Self.settings)
        try await node.application.test(.router) { client in
            // /h/hash: video_md5 and vpdq, one frame per second in python-threatexchange's form.
            var original = ""
            try await client.execute(
                uri: "/h/hash", method: .post, headers: HMA.multipartHeaders(node, .hash),
                body: HMA.multipart([("video", "original.mp4", clips.bytes["original.mp4"] ?? [])])
            ) { response in
                #expect(response.status == .ok, "\(HMA.text(response))")
                #expect((response.json["video_md5"] as? String)?.count == 32)
                original = response.json["vpdq"] as? String ?? ""
            }
            let items = Self.items(original)
            #expect(items.count == 10)
            #expect(original.hasPrefix("[\"") && original.contains("\", \""))
            for (second, item) in items.enumerated() {
                let fields = item.split(separator: ",")
                #expect(fields.count == 3 && fields[0].count == 64 && fields[2] == "\(second).0", "\(item)")
            }
            // The same frames as /v1's vPDQ lines.
            try await client.execute(
                uri: "/v1/hash", method: .post, headers: node.headers(.hash, json: false), body: ByteBuffer(bytes: clips.bytes["original.mp4"] ?? [])
            ) { response in
                let lines = (response.json["vpdq"] as? String ?? "").split(separator: "\n")
                #expect(lines.map { $0.split(separator: ",")[2] } == items.map { $0.split(separator: ",")[0] })
                #expect(lines.map { $0.split(separator: ",")[1] } == items.map { $0.split(separator: ",")[1] })
            }
            // Banked as a signal; read back in the same form.
            try await HMA.createBank(client, node, "VIDEOS")
            var id = -1
            try await client.execute(uri: "/c/bank/VIDEOS/signal", method: .post, headers: node.headers(.curate), body: jsonBody(["vpdq": original]))
            {
                #expect($0.status == .ok, "\(HMA.text($0))")
                id = $0.json["id"] as? Int ?? -1
                #expect(($0.json["signals"] as? [String: String])?["vpdq"] == original)
            }
            try await client.execute(uri: "/c/bank/VIDEOS/content/\(id)?include_signals=true", method: .get, headers: node.headers(.curate)) {
                #expect($0.status == .ok)
                #expect(($0.json["signals"] as? [String: String])?["vpdq"] == original)
            }
            try await client.execute(uri: "/m/index/status?signal_type=vpdq", method: .get, headers: node.headers(.match)) {
                #expect(($0.json["vpdq"] as? [String: Any])?["size"] as? Int == 1)
            }
            // Looked up by value: python-threatexchange's distance, query%[compared%].
            try await client.execute(uri: "/m/lookup?signal_type=vpdq&signal=\(Self.query(original))", method: .get, headers: node.headers(.match)) {
                #expect($0.status == .ok, "\(HMA.text($0))")
                let matches = $0.json["VIDEOS"] as? [[String: Any]] ?? []
                #expect(matches.count == 1 && matches.first?["bank_content_id"] as? Int == id)
                #expect(matches.first?["distance"] as? String == "100%[100%]")
            }
            try await client.execute(
                uri: "/m/raw_lookup?signal_type=vpdq&include_distance=true&signal=\(Self.query(original))", method: .get,
                headers: node.headers(.match)
            ) {
                let matches = $0.json["matches"] as? [[String: Any]] ?? []
                #expect(matches.first?["bank_content_id"] as? Int == id && matches.first?["distance"] as? String == "100%[100%]")
            }
            // Looked up by upload: the trimmed copy is found (all its frames are in the banked video,
            // half of the banked video's are in it); the unrelated clip is not.
            var trimmed = ""
            try await client.execute(
                uri: "/m/lookup", method: .post, headers: HMA.multipartHeaders(node, .match),
                body: HMA.multipart([("video", "trimmed.mkv", clips.bytes["trimmed.mkv"] ?? [])])
            ) { response in
                #expect(response.status == .ok, "\(HMA.text(response))")
                let vpdq = response.json["vpdq"] as? [String: Any] ?? [:]
                let matches = vpdq["VIDEOS"] as? [[String: Any]] ?? []
                #expect(matches.first?["bank_content_id"] as? Int == id)
                let distance = matches.first?["distance"] as? String ?? ""
                print("HMA vpdq lookup of the trimmed copy: distance \(distance)")
                #expect(distance.hasPrefix("100%[") && distance != "100%[100%]")
                #expect((response.json["video_md5"] as? [String: Any])?.isEmpty == true)
            }
            try await client.execute(
                uri: "/h/hash?types=vpdq", method: .post, headers: HMA.multipartHeaders(node, .hash),
                body: HMA.multipart([("video", "trimmed.mkv", clips.bytes["trimmed.mkv"] ?? [])])
            ) { response in
                #expect(response.json.count == 1)
                trimmed = response.json["vpdq"] as? String ?? ""
            }
            #expect(Self.items(trimmed).count == 5)
            try await client.execute(
                uri: "/m/lookup", method: .post, headers: HMA.multipartHeaders(node, .match),
                body: HMA.multipart([("video", "unrelated.mp4", clips.bytes["unrelated.mp4"] ?? [])])
            ) { response in
                #expect(response.status == .ok)
                #expect((response.json["vpdq"] as? [String: Any])?.isEmpty == true)
            }
            // Compared as VPDQSignal.compare_hash: the first is the query.
            try await client.execute(uri: "/m/compare", method: .post, headers: node.headers(.match), body: jsonBody(["vpdq": [trimmed, original]])) {
                #expect($0.status == .ok, "\(HMA.text($0))")
                let answer = $0.json["vpdq"] as? [Any] ?? []
                let info = answer.last as? [String: Any] ?? [:]
                let query = (info["query_match_percent"] as? NSNumber)?.doubleValue ?? -1
                let compared = (info["compared_match_percent"] as? NSNumber)?.doubleValue ?? -1
                print("HMA vpdq compare, trimmed against original: query \(query) %, compared \(compared) %")
                #expect(answer.first as? Bool == true && query == 100 && compared > 0 && compared < 100)
            }
            try await client.execute(uri: "/m/compare", method: .post, headers: node.headers(.match), body: jsonBody(["vpdq": [original, trimmed]])) {
                let answer = $0.json["vpdq"] as? [Any] ?? []
                #expect(answer.first as? Bool == false)
            }
            // Banked from an upload: both of the video's signals, one content.
            try await client.execute(
                uri: "/c/bank/VIDEOS/content", method: .post, headers: HMA.multipartHeaders(node, .curate),
                body: HMA.multipart([("video", "unrelated.mp4", clips.bytes["unrelated.mp4"] ?? [])])
            ) { response in
                #expect(response.status == .ok, "\(HMA.text(response))")
                let signals = response.json["signals"] as? [String: String] ?? [:]
                #expect(Set(signals.keys) == ["video_md5", "vpdq"] && Self.items(signals["vpdq"] ?? "").count == 10)
            }
            try await client.execute(uri: "/m/index/status?signal_type=vpdq", method: .get, headers: node.headers(.match)) {
                #expect(($0.json["vpdq"] as? [String: Any])?["size"] as? Int == 2)
            }
        }
    }

    /// A signal as python-threatexchange writes one (VPDQSignal.get_examples(): the PDQ examples at
    /// quality 100, one a second) is banked and found; malformed ones are a 400 that says what is wrong.
    @Test("python-threatexchange's vpdq signals are read, and malformed ones refused")
    func signalStrings() async throws {
        let node = try await TestNode.make()
        let example = "[\"\(bridgeHash),100,0.0\", \"\(HMA.specimen1),100,1.0\", \"\(HMA.specimen2),100,2.0\"]"
        try await node.application.test(.router) { client in
            try await HMA.createBank(client, node, "EXAMPLES")
            var id = -1
            try await client.execute(uri: "/c/bank/EXAMPLES/signal", method: .post, headers: node.headers(.curate), body: jsonBody(["vpdq": example]))
            {
                #expect($0.status == .ok, "\(HMA.text($0))")
                id = $0.json["id"] as? Int ?? -1
            }
            // A query of one of its frames: that frame is in the banked video (query 100 %), and one
            // of the banked video's three distinct frames is in the query (compared 33 %).
            let one = "[\"\(bridgeHash),100,5.0\"]"
            try await client.execute(
                uri: "/m/raw_lookup?signal_type=vpdq&include_distance=true&signal=\(Self.query(one))", method: .get, headers: node.headers(.match)
            ) {
                #expect($0.status == .ok)
                let matches = $0.json["matches"] as? [[String: Any]] ?? []
                #expect(matches.first?["bank_content_id"] as? Int == id && matches.first?["distance"] as? String == "100%[33%]")
            }
            for bad in ["[]", "not a list", "[\"\(bridgeHash),100\"]", "[\"\(bridgeHash),100,-1.0\"]", "[\"\(bridgeHash),101,0.0\"]"] {
                try await client.execute(uri: "/c/bank/EXAMPLES/signal", method: .post, headers: node.headers(.curate), body: jsonBody(["vpdq": bad]))
                {
                    #expect($0.status == .badRequest, "\(bad)")
                    #expect(($0.json["message"] as? String ?? "").contains("is not a valid vPDQ hash"), "\(HMA.text($0))")
                }
                try await client.execute(uri: "/m/lookup?signal_type=vpdq&signal=\(Self.query(bad))", method: .get, headers: node.headers(.match)) {
                    #expect($0.status == .badRequest, "\(bad)")
                }
                try await client.execute(uri: "/m/compare", method: .post, headers: node.headers(.match), body: jsonBody(["vpdq": [example, bad]])) {
                    #expect($0.status == .badRequest, "\(bad)")
                }
            }
            // Nothing was added by the refused signals.
            try await client.execute(uri: "/m/index/status?signal_type=vpdq", method: .get, headers: node.headers(.match)) {
                #expect(($0.json["vpdq"] as? [String: Any])?["size"] as? Int == 1)
            }
        }
    }

    /// A node whose HMA routes serve HMA's default types (`pdq,video_md5`) neither hashes nor
    /// accepts vpdq there.
    @Test("vpdq is served only when hma.signal-types has it")
    func notServed() async throws {
        var settings = Self.settings
        settings.hmaSignalTypes = [.pdq, .md5]
        let node = try await TestNode.make(settings: settings)
        let clips = try Self.makeClips()
        defer { try? FileManager.default.removeItem(at: clips.folder) }
        try await node.application.test(.router) { client in
            try await client.execute(
                uri: "/h/hash", method: .post, headers: HMA.multipartHeaders(node, .hash),
                body: HMA.multipart([("video", "trimmed.mkv", clips.bytes["trimmed.mkv"] ?? [])])
            ) { response in
                #expect(response.status == .ok)
                #expect(Set(response.json.keys) == ["video_md5"])
            }
            try await client.execute(uri: "/m/lookup?signal_type=vpdq&signal=%5B%5D", method: .get, headers: node.headers(.match)) {
                #expect($0.status == .badRequest)
                #expect(($0.json["message"] as? String ?? "").contains("No such SignalType"))
            }
        }
    }
}
