import Foundation
import HTTPTypes
import Logging
import Metrics
import VigilHash
import VigilMedia
import VigilPipeline

/// An uploaded video's vPDQ hash and the digests of its bytes.
struct HashedVideo: Sendable {
    /// The frames hashed, what ffmpeg reported, and any damage it read past.
    var result: VideoHashResult
    /// MD5 and SHA-256 of the uploaded bytes.
    var digests: ContentDigests
}

extension MediaHashing {
    /// Whether an upload is a video: its first bytes are a container vPDQ reads (MP4/3GP,
    /// QuickTime, Matroska/WebM, AVI), the sniffing `vigil hash` does. Images never pass.
    static func isVideo(_ bytes: [UInt8]) -> Bool {
        VideoContainer.sniff(bytes.prefix(64)) != nil
    }

    /// Hashes an uploaded video with vPDQ under the node's `video.*` limits, holding a place of the
    /// hashing pool while ffmpeg decodes (a full pool is a 503 with `Retry-After`).
    ///
    /// The bytes go to a private temporary file (ffmpeg reads files, not pipes, so it can seek in
    /// an MP4 whose index is at the end), which is removed whatever happens. Errors are 4xx with
    /// the decoder's code and reason: 413 `file_too_large`, 415 `unrecognised_format`, 422 for a
    /// corrupt, truncated or empty video, no video stream, frames too large or too many, a video
    /// that takes longer than `video.time-limit-seconds`, and a video none of whose frames decoded
    /// (`no_frames`); a node without ffmpeg answers 503 `decoder_missing`.
    func hashVideo(_ bytes: [UInt8]) async throws -> HashedVideo {
        guard bytes.count <= video.maxBytes else {
            throw APIError(
                .contentTooLarge, code: MediaError.Code.fileTooLarge.rawValue,
                "the video is \(bytes.count) bytes; this node hashes videos of at most \(video.maxBytes) bytes (video.max-bytes)")
        }
        let hasher = videoHasher
        let folder = video.temporaryFolder ?? FileManager.default.temporaryDirectory.path
        let result: VideoHashResult
        do {
            result = try await pool.runAdmitted {
                let file = try TemporaryUpload(bytes, in: folder)
                defer { file.remove() }
                return try await hasher.hash(fileAt: file.path)
            }
        } catch let busy as HashingPool.Busy {
            throw APIError(.serviceUnavailable, code: "hashing_busy", busy.description, headers: [.retryAfter: "1"])
        } catch let error as HashingError {
            throw Self.apiError(error)
        }
        guard !result.features.isEmpty else {
            throw APIError(.unprocessableContent, code: "no_frames", "no frame of the video could be decoded and hashed")
        }
        return HashedVideo(result: result, digests: ContentDigests(of: bytes))
    }

    /// The answer to a video that could not be hashed: its decoder's code, with a status that says
    /// whose problem it is.
    static func apiError(_ error: HashingError) -> APIError {
        let status: HTTPResponse.Status =
            switch error.media?.code {
            case .fileTooLarge?: .contentTooLarge
            case .unrecognisedFormat?, .unsupported?: .unsupportedMediaType
            case .decoderMissing?: .serviceUnavailable
            default: .unprocessableContent
            }
        return APIError(status, code: error.code.rawValue, error.description)
    }
}

/// An upload written to a file of its own (mode 0600) in the temporary folder, for ffmpeg to read.
private struct TemporaryUpload {
    let path: String

    init(_ bytes: [UInt8], in folder: String) throws {
        path = folder + "/vigil-video-" + UUID().uuidString.lowercased()
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes), attributes: [.posixPermissions: 0o600]) else {
            throw APIError(.internalServerError, code: "temporary_file", "the node could not write the video to its temporary folder (\(folder))")
        }
    }

    /// Removes the file. A file that cannot be removed is logged and counted
    /// (`vigil_video_temporary_files_left_total`): the upload's answer does not depend on it, but
    /// an operator must see files left in the temporary folder.
    func remove() {
        do {
            try FileManager.default.removeItem(atPath: path)
        } catch {
            Logger(label: "vigil.video").warning(
                "could not remove a video's temporary file", metadata: ["path": "\(path)", "error": "\(error)"])
            Counter(label: "vigil_video_temporary_files_left_total").increment()
        }
    }
}
