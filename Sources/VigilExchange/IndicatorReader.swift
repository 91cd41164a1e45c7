/// A streaming importer: feed it the input's bytes in chunks of any size, as they arrive, and it
/// returns the records each chunk completed. Its memory is bounded by one unit of the format (a line,
/// a CSV record, a JSON record, an NCMEC page), never by the whole input.
///
/// Feeding the same bytes in different chunk sizes gives the same records and issues.
public protocol IndicatorReader: Sendable {
    /// The format this reader parses.
    var format: ImportFormat { get }

    /// The number of input bytes the reader is holding because they do not yet form a complete unit.
    var bufferedByteCount: Int { get }

    /// Parses a chunk of the input and returns the records and issues it completed.
    /// Throws when the input is structurally broken; records returned before stay valid.
    mutating func read(_ chunk: some Collection<UInt8>) throws(ImportError) -> ImportBatch

    /// Ends the input: parses what is left and checks the input ended where it may.
    mutating func finish() throws(ImportError) -> ImportBatch
}

extension IndicatorReader {
    /// Imports a whole in-memory input: `read` followed by `finish`, merged into one batch.
    public mutating func readAll(_ bytes: some Collection<UInt8>) throws(ImportError) -> ImportBatch {
        var batch = try read(bytes)
        batch.append(try finish())
        return batch
    }
}
