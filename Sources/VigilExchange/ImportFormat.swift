public import VigilDomain

/// The input formats Vigil imports indicator lists from.
public enum ImportFormat: String, CaseIterable, Sendable, Codable {
    /// `hex<TAB>id<TAB>note` per line, one signal type per file (``TSVReader``).
    case tsv
    /// The python-threatexchange `dataset --csv` layout (``HMACSVReader``).
    case hmaCSV = "hma-csv"
    /// NCMEC hash-sharing API v2 `<queryResult>` entry pages (``NCMECEntriesReader``).
    case ncmecXML = "ncmec-xml"
    /// StopNCII `FetchHashes` hash records (``StopNCIIReader``).
    case stopnciiJSON = "stopncii-json"
    /// Vigil's own JSON Lines with full provenance (``JSONLinesReader``).
    case vigilJSONL = "vigil-jsonl"

    /// A reader for this format.
    /// - Parameters:
    ///   - signalType: the type of every value, for formats that do not name it (TSV only).
    ///   - provenance: provenance fields applied to every record unless the input gives its own
    ///     (TSV and CSV; the API formats set their own source).
    public func makeReader(signalType: SignalType = .pdq, provenance: Provenance = Provenance()) -> any IndicatorReader {
        switch self {
        case .tsv: TSVReader(signalType: signalType, provenance: provenance)
        case .hmaCSV: HMACSVReader(provenance: provenance)
        case .ncmecXML: NCMECEntriesReader()
        case .stopnciiJSON: StopNCIIReader()
        case .vigilJSONL: JSONLinesReader()
        }
    }
}
