public import VigilExchange

/// The import-format harness shared by the five reader targets.
public enum ReaderFuzzing {
    /// Imports one fuzz input in `format` twice, whole and in small chunks, and traps unless both give
    /// the same outcome: the readers promise that chunking never changes the records, issues or error.
    public static func read(_ data: UnsafePointer<UInt8>?, _ size: Int, as format: ImportFormat) {
        let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
        let whole = readWhole(bytes, format: format)
        // Chunks of 1 to 8 bytes, the size taken from the input, so that boundaries land everywhere.
        let chunkSize = 1 + Int(bytes.first ?? 0) % 8
        let chunked = readChunked(bytes, format: format, chunkSize: chunkSize)
        switch (whole, chunked) {
        case (.success(let a), .success(let b)):
            precondition(a == b, "chunks of \(chunkSize) bytes gave different records than the whole input")
            for issue in a.issues { precondition(!issue.message.isEmpty, "an issue without a message") }
        case (.failure(let a), .failure(let b)):
            precondition(a == b, "chunks of \(chunkSize) bytes failed differently: \(a) / \(b)")
        case (.success, .failure(let error)):
            preconditionFailure("only chunks of \(chunkSize) bytes failed: \(error)")
        case (.failure(let error), .success):
            preconditionFailure("only the whole input failed: \(error)")
        }
    }

    static func readWhole(_ bytes: [UInt8], format: ImportFormat) -> Result<ImportBatch, ImportError> {
        var reader = format.makeReader()
        do {
            return .success(try reader.readAll(bytes))
        } catch {
            return .failure(error)
        }
    }

    static func readChunked(_ bytes: [UInt8], format: ImportFormat, chunkSize: Int) -> Result<ImportBatch, ImportError> {
        var reader = format.makeReader()
        var batch = ImportBatch()
        do {
            var start = 0
            while start < bytes.count {
                let end = min(start + chunkSize, bytes.count)
                batch.append(try reader.read(bytes[start..<end]))
                start = end
            }
            batch.append(try reader.finish())
            return .success(batch)
        } catch {
            return .failure(error)
        }
    }
}
