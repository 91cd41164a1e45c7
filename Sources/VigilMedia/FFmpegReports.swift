/// ffprobe's answer (`-of compact=p=0:nk=0`): one line per stream, `key=value` fields joined by `|`.
struct ProbeReport {
    /// The streams, in file order, each as its fields.
    var streams: [[String: String]]

    init(parsing text: String) {
        streams = text.split(whereSeparator: \.isNewline).compactMap { line in
            var fields: [String: String] = [:]
            for field in line.split(separator: "|") {
                guard let equals = field.firstIndex(of: "=") else { continue }
                fields[String(field[..<equals])] = String(field[field.index(after: equals)...])
            }
            return fields.isEmpty ? nil : fields
        }
    }

    /// The first video stream, as vPDQ picks it (the lowest stream index of type video).
    func videoInfo(container: VideoContainer) throws(MediaError) -> VideoInfo {
        guard let stream = streams.first(where: { $0["codec_type"] == "video" }) else {
            let kinds = streams.compactMap { $0["codec_type"] }
            let detail =
                kinds.isEmpty
                ? "it holds no streams at all"
                : "it holds \(kinds.count) stream(s): " + kinds.joined(separator: ", ")
            throw .noVideoStream(container, detail: detail)
        }
        guard let width = stream["width"].flatMap({ Int($0) }), let height = stream["height"].flatMap({ Int($0) }) else {
            throw .corruptVideo(container, detail: "the video stream declares no frame size")
        }
        // vPDQ: the average frame rate, or the base rate when the average is 0/0.
        let average = stream["avg_frame_rate"].flatMap { FrameRate(ffprobe: $0) }
        let base = stream["r_frame_rate"].flatMap { FrameRate(ffprobe: $0) }
        guard let frameRate = [average, base].compactMap({ $0 }).first(where: \.isValid) else {
            throw .corruptVideo(container, detail: "the video stream declares no frame rate")
        }
        return VideoInfo(
            container: container,
            codec: stream["codec_name"] ?? "unknown",
            width: width,
            height: height,
            frameRate: frameRate,
            declaredFrameCount: stream["nb_frames"].flatMap { Int($0) },
            durationSeconds: stream["duration"].flatMap { Double($0) }.flatMap { $0.isFinite ? $0 : nil }
        )
    }
}

/// Reads ffmpeg's and ffprobe's error output (`-v error`: every line is an error).
enum FFmpegDiagnostics {
    /// Phrases with which ffmpeg's demuxers say the data stops too early.
    static let truncationPhrases = [
        "partial file", "File ended prematurely", "End of file", "moov atom not found",
    ]

    /// The damage that `standardError` reports, or `nil` when it reports none.
    static func damage(in standardError: String, container: VideoContainer) -> MediaError? {
        let lines = standardError.split(whereSeparator: \.isNewline).map { $0.trimmingSpaces() }.filter { !$0.isEmpty }
        guard !lines.isEmpty else { return nil }
        if let line = lines.first(where: { line in truncationPhrases.contains { line.contains($0) } }) {
            return .truncatedVideo(container, detail: "ffmpeg: " + shortened(line))
        }
        // The last line usually sums up; the first names the first problem.
        let detail = lines.count == 1 ? lines[0] : lines[0] + " … " + (lines.last ?? "")
        return .corruptVideo(container, detail: "ffmpeg: " + shortened(detail))
    }

    /// At most 300 characters of `text`.
    static func shortened(_ text: String) -> String {
        text.count <= 300 ? text : String(text.prefix(297)) + "..."
    }
}

extension Substring {
    /// The text without leading and trailing spaces.
    fileprivate func trimmingSpaces() -> String {
        String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}
