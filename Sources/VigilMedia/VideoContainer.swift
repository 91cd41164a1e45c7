/// The video container formats VigilMedia hands to ffmpeg.
///
/// As for images, the container is decided from the file's leading bytes
/// (``VideoContainer/sniff(_:)``), never from its name, and ffmpeg is then told to use exactly that
/// demuxer: a file that merely claims to be a video cannot steer ffmpeg into another demuxer (a
/// playlist, a concatenation, a network protocol).
public enum VideoContainer: String, Sendable, CaseIterable {
    /// ISO base media (MP4, M4V, 3GP): an `ftyp` box first.
    case mp4
    /// Apple QuickTime (MOV): an `ftyp` box with the `qt  ` brand, or a `moov`, `mdat`, `wide`,
    /// `free` or `skip` atom first (older files have no `ftyp`).
    case quickTime = "mov"
    /// Matroska and WebM (EBML header `1A 45 DF A3`).
    case matroska = "mkv"
    /// AVI (`RIFF` … `AVI `).
    case avi

    /// The conventional spelling of the format's name, for messages.
    public var displayName: String {
        switch self {
        case .mp4: "MP4"
        case .quickTime: "QuickTime"
        case .matroska: "Matroska/WebM"
        case .avi: "AVI"
        }
    }

    /// The name of ffmpeg's demuxer for this container (`-f` before `-i`).
    var demuxer: String {
        switch self {
        case .mp4, .quickTime: "mov"
        case .matroska: "matroska"
        case .avi: "avi"
        }
    }

    /// The file name extensions conventionally used for videos (lowercase, without the dot). A
    /// caller may use them to pick files out of a folder; the container itself is still sniffed.
    public static let fileExtensions: Set<String> = ["mp4", "m4v", "mov", "3gp", "mkv", "webm", "avi"]

    /// Decides the container from magic bytes only; `nil` when the bytes are no video this
    /// decoder accepts. Twelve bytes are enough.
    public static func sniff(_ bytes: some Collection<UInt8>) -> VideoContainer? {
        let head = Array(bytes.prefix(12))
        guard head.count >= 8 else { return nil }
        let box = String(decoding: head[4..<8], as: UTF8.self)
        if box == "ftyp" {
            guard head.count >= 12 else { return .mp4 }
            return String(decoding: head[8..<12], as: UTF8.self) == "qt  " ? .quickTime : .mp4
        }
        if ["moov", "mdat", "wide", "free", "skip"].contains(box) {
            return .quickTime
        }
        if head[0..<4].elementsEqual([0x1A, 0x45, 0xDF, 0xA3]) {
            return .matroska
        }
        if head.count >= 12, head[0..<4].elementsEqual(Array("RIFF".utf8)), head[8..<12].elementsEqual(Array("AVI ".utf8)) {
            return .avi
        }
        return nil
    }

    /// The container of the file at `path`, from its first 12 bytes; `nil` when it is no supported
    /// video, or is not a readable, non-empty regular file.
    public static func sniff(fileAt path: String) -> VideoContainer? {
        guard let head = try? MediaFile.head(path: path, count: 12) else { return nil }
        return sniff(head)
    }
}
