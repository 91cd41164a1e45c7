public import VigilDomain

/// HMA's `sample` exchange (python-threatexchange's `StaticSampleSignalExchangeAPI`): a fixed set of
/// example signals, fetched as one page, so that a node can be tried (and HMA's own tests run) with no
/// outside service. It takes no settings and no credential.
///
/// The examples are python-threatexchange's `SignalType.get_examples()` for the types Vigil holds,
/// carried here as data (``SampleSignals``). Every example is an item of its own, with the upstream
/// id `<HMA type name>:<value>` (python-threatexchange's key for a sample signal), so fetching again
/// replaces rather than duplicates.
public struct SampleExchangeMaker: ExchangeClientMaker {
    /// `sample`.
    public let kind = "sample"

    /// None.
    public let settingNames: [String: String] = [:]

    /// The types whose examples are fetched (HMA fetches those of its enabled signal types).
    let types: [SignalType]

    /// A maker that fetches the examples of `types` (default: every type Vigil holds).
    public init(types: [SignalType] = SignalType.allCases) {
        self.types = types
    }

    /// The sample takes no credential (HMA's `supports_authentification` is false for it).
    public var takesCredential: Bool { false }

    public func makeClient(settings: [String: String], credential: String?) throws(ExchangeError) -> any ExchangeClient {
        guard credential == nil else { throw .misconfigured("the sample exchange takes no credential") }
        return SampleExchangeClient(types: types)
    }
}

/// The client of the `sample` exchange: the first fetch gives every example; a fetch after its
/// checkpoint gives nothing (the examples do not change within a version of this data).
struct SampleExchangeClient: ExchangeClient {
    let kind = "sample"
    let types: [SignalType]

    /// The checkpoint after the examples: the data's version, so a later version is fetched again.
    static let done = ExchangeCheckpoint(state: "sample-v1")

    func fetchPage(after checkpoint: ExchangeCheckpoint?) async throws(ExchangeError) -> ExchangePage {
        if checkpoint?.state == Self.done.state {
            return ExchangePage(batch: ImportBatch(), checkpoint: Self.done, hasMore: false)
        }
        var batch = ImportBatch()
        var number = 0
        for type in types {
            let name = HMASignalNames.name(of: type)
            for example in SampleSignals.examples(of: type) {
                number += 1
                do throws(SignalValueError) {
                    let value = try type.normalise(example)
                    let provenance = Provenance(
                        sourceOrganisation: "sample", sourceItemId: "\(name):\(value)", note: "python-threatexchange's \(name) example")
                    batch.append(IndicatorRecord(type: type, value: value, provenance: provenance), from: number)
                } catch {
                    batch.issues.append(ImportIssue(record: number, message: "\(name) example \(example): \(error.description); skipped"))
                }
            }
        }
        return ExchangePage(batch: batch, checkpoint: Self.done, hasMore: false)
    }
}

/// python-threatexchange's example signals (`get_examples()` of each signal type), as of
/// facebook/ThreatExchange at baefb4e. They are hashes of benign pictures (the PDQ reference
/// images, GitHub's logos) and of empty or trivial inputs.
public enum SampleSignals {
    /// The examples of `type`, in python-threatexchange's order.
    public static func examples(of type: SignalType) -> [String] {
        switch type {
        case .pdq: pdq
        case .md5: videoMD5
        case .sha256: videoSHA256
        // python-threatexchange's vPDQ is an extension (`threatexchange/extensions/vpdq`) in its own
        // text form, which HMA's routes in Vigil do not read yet: no examples are carried.
        case .vpdq: []
        // python-threatexchange has no text indicator signal type (its `raw_text` is matched otherwise).
        case .textIndicator: []
        }
    }

    /// `python-threatexchange/threatexchange/signal_type/pdq/signal.py`, `PdqSignal.get_examples()`:
    /// twelve of `pdq/data/bridge-mods` (one bridge photo, modified), two of `pdq/data/misc-images`,
    /// GitHub's invertocat and octocat logos. (Its commented-out all-zero entry, issue 1609, is not
    /// an example.)
    static let pdq = [
        "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22",
        "f8f8f0cee0f4a84f06370a2a038f63f0b36e26d596621e1d33e6b39c4e9c9b22",
        "f8f8f0cee0f4a84f0637022a038f67f0b36e26d596621e1d33e6b39c4e9c9b22",
        "f8f8f0cee0f4a84f06370a2a068f67f0b36e26d596621e1d33e6339c4e9c9b22",
        "f8f8f0cee0f4a84f06370a22038f67f0b36e2ed596221e1d33e6b39c4e9c9b22",
        "f8f8f0cee0f4a84f0e370a22038f67f0b36e2ed596221e1d33e6b39c4a9c9b22",
        "d8f8f0cec0f4a84f8e370a22038f67f0b36a2ed597231e1d72e6b39c4a9c9b22",
        "f8f8f0cee0f4a84f06370a22038f67f0b36e2ed596621e1d33e6339c4e9c9b22",
        "d0f8f1ccc0f4a84d0a370a3a228f67f0b36e2ed5b6623e1d33e6339c4e9c9b22",
        "d8f8f1eec0f4a84f0e37022a078f63f0b36e2ed596621e1d33e6239c4e9c9b22",
        "d8f8f0cec4f4a84f0637022a078f67f0b36e2ee5b6621e1d33e6239c4e9c9b22",
        "d8f8f0cec0f4a84f0637022a278f67f0b36e2ed596621e1d33e6339c4e9c9b22",
        "e64cc9d91c623882f8d1f1d9a398e78c9f199b3bd83924f2b7e11e0bf861b064",
        "6227401f601ff4ccafcc9fad4b0d95d371a2eb7265a3285234d228ca94deeb2d",
        "c186f9619659658c4b6916daf934496985f4259c72c39676ab9edb631c3c349c",
        "62c9789627838f69f23cf98c29e37836d61c87c31c59587c4b49a783f496725c",
    ]

    /// `python-threatexchange/threatexchange/signal_type/md5.py`, `VideoMD5Signal.get_examples()`
    /// (the second is the MD5 of no bytes).
    static let videoMD5 = ["cab08b36195edb1a1231d2d09fa450e0", "d41d8cd98f00b204e9800998ecf8427e"]

    /// `python-threatexchange/threatexchange/signal_type/sha256.py`, `VideoSHA256Signal.get_examples()`
    /// (the first is the SHA-256 of no bytes).
    static let videoSHA256 = [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "ba7816bf8f01cfe414134e77ca982da31a7b0e4a9e5a7a3a2a2a2a2a2a2a2a2a",
    ]

    // Not carried: the examples of the types Vigil does not hold (an HMA with those types installed
    // would fetch them): text and URL signals (`signal_type/raw_text.py`, 3; `trend_query.py`, 1;
    // `url.py`, 1; `url_md5.py`, 1, the MD5 of that URL) and the extensions' types
    // (`extensions/pdq_ocr/pdq_ocr.py`, 2: a PDQ with OCR text; `extensions/tlsh/text_tlsh.py`, 3: TLSH
    // of the raw-text examples; `extensions/vpdq/vpdq.py`, 1: a vPDQ made of the PDQ examples).
}
