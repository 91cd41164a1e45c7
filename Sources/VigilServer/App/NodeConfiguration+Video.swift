import Configuration
import Foundation

extension NodeConfiguration {
    /// Reads the `video.*` settings (see ``VideoSettings``); a value out of range names its key.
    mutating func readVideo(_ reader: ConfigReader) async throws {
        var video = server.video
        func int(_ key: String, _ current: Int, _ range: ClosedRange<Int>) async throws -> Int {
            let value = try await Self.value(reader, key, default: current) { try await reader.fetchInt(forKey: $0) }
            guard range.contains(value) else {
                throw ConfigurationError(key: key, problem: "\(value) is not between \(range.lowerBound) and \(range.upperBound)")
            }
            return value
        }
        func percent(_ key: String, _ current: Double) async throws -> Double {
            let value = try await Self.value(reader, key, default: current) { try await reader.fetchDouble(forKey: $0) }
            guard (0...100).contains(value) else { throw ConfigurationError(key: key, problem: "\(value) is not a percentage (0-100)") }
            return value
        }
        video.maxBytes = try await int("video.max-bytes", video.maxBytes, 1...(16 << 30))
        video.maxPixels = try await int("video.max-pixels", video.maxPixels, 1...(7680 * 7680))
        video.maxFrames = try await int("video.max-frames", video.maxFrames, 1...10_000_000)
        video.timeLimitSeconds = try await int("video.time-limit-seconds", video.timeLimitSeconds, 1...86_400)
        video.secondsPerHash = try await Self.value(reader, "video.seconds-per-hash", default: video.secondsPerHash) {
            try await reader.fetchDouble(forKey: $0)
        }
        guard video.secondsPerHash >= 0, video.secondsPerHash <= 3600 else {
            throw ConfigurationError(key: "video.seconds-per-hash", problem: "\(video.secondsPerHash) is not between 0 (every frame) and 3600")
        }
        video.queryMatchPercent = try await percent("video.query-match-percent", video.queryMatchPercent)
        video.comparedMatchPercent = try await percent("video.compared-match-percent", video.comparedMatchPercent)
        video.ffmpegDirectory = try await Self.value(reader, "video.ffmpeg-directory", default: video.ffmpegDirectory) {
            try await reader.fetchString(forKey: $0)
        }
        if video.ffmpegDirectory?.isEmpty == true {
            throw ConfigurationError(key: "video.ffmpeg-directory", problem: "must not be empty (leave it out to find ffmpeg on PATH)")
        }
        let decoder = try await Self.value(reader, "video.decoder", default: video.decoder.rawValue) { try await reader.fetchString(forKey: $0) }
        guard let chosen = VideoSettings.Decoder(rawValue: decoder) else {
            throw ConfigurationError(key: "video.decoder", problem: "'\(decoder)' is not 'auto', 'ffmpeg' or 'framer'")
        }
        video.decoder = chosen
        video.framerPath = try await Self.value(reader, "video.framer-path", default: video.framerPath) { try await reader.fetchString(forKey: $0) }
        if video.framerPath?.isEmpty == true {
            throw ConfigurationError(key: "video.framer-path", problem: "must not be empty (leave it out to use the vigil-framer beside vigil)")
        }
        video.temporaryFolder = try await Self.value(reader, "video.temporary-folder", default: video.temporaryFolder) {
            try await reader.fetchString(forKey: $0)
        }
        if let folder = video.temporaryFolder {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
                throw ConfigurationError(key: "video.temporary-folder", problem: "'\(folder)' is not an existing folder")
            }
        }
        server.video = video
    }
}
