import VigilAPI
import VigilDomain
import VigilExchange
import VigilHash
import VigilMatching
import VigilMedia
import VigilPipeline
import VigilStore

// Conversions between the generated `/v1` types and Vigil's own. The enum conversions are
// exhaustive switches both ways, so a case added on either side fails the build until the other
// side (and so `openapi.yaml`) has it too.

extension SignalType {
    init(_ type: Components.Schemas.SignalType) {
        switch type {
        case .pdq: self = .pdq
        case .md5: self = .md5
        case .sha256: self = .sha256
        case .vpdq: self = .vpdq
        case .textIndicator: self = .textIndicator
        }
    }
}

extension Components.Schemas.SignalType {
    init(_ type: SignalType) {
        switch type {
        case .pdq: self = .pdq
        case .md5: self = .md5
        case .sha256: self = .sha256
        case .vpdq: self = .vpdq
        case .textIndicator: self = .textIndicator
        }
    }
}

extension ListKind {
    init(_ kind: Components.Schemas.ListKind) {
        switch kind {
        case .knownAbuseMaterial: self = .knownAbuseMaterial
        case .terroristContent: self = .terroristContent
        case .ncii: self = .nonConsensualIntimateImagery
        case ._internal: self = .internal
        }
    }
}

extension Components.Schemas.ListKind {
    init(_ kind: ListKind) {
        switch kind {
        case .knownAbuseMaterial: self = .knownAbuseMaterial
        case .terroristContent: self = .terroristContent
        case .nonConsensualIntimateImagery: self = .ncii
        case .internal: self = ._internal
        }
    }
}

extension ListAction {
    init(_ action: Components.Schemas.ListAction) {
        switch action {
        case .block: self = .block
        case .quarantine: self = .quarantine
        case .notify: self = .notify
        }
    }
}

extension Components.Schemas.ListAction {
    init(_ action: ListAction) {
        switch action {
        case .block: self = .block
        case .quarantine: self = .quarantine
        case .notify: self = .notify
        }
    }
}

extension ImportFormat {
    init(_ format: Components.Schemas.ImportFormat) {
        switch format {
        case .tsv: self = .tsv
        case .hmaCsv: self = .hmaCSV
        case .ncmecXml: self = .ncmecXML
        case .stopnciiJson: self = .stopnciiJSON
        case .vigilJsonl: self = .vigilJSONL
        }
    }
}

extension ExportFormat {
    init(_ format: Components.Schemas.ExportFormat) {
        switch format {
        case .vigilJsonl: self = .vigilJSONL
        case .tsv: self = .tsv
        case .hmaCsv: self = .hmaCSV
        }
    }
}

extension Provenance {
    init(_ provenance: Components.Schemas.Provenance) {
        self.init(
            sourceOrganisation: provenance.sourceOrganisation, sourceItemId: provenance.sourceItemId,
            submittedBy: provenance.submittedBy, confirmedBy: provenance.confirmedBy,
            decisionReference: provenance.decisionReference, confirmedAt: provenance.confirmedAt, note: provenance.note)
    }
}

extension Components.Schemas.Provenance {
    init(_ provenance: Provenance) {
        self.init(
            sourceOrganisation: provenance.sourceOrganisation, sourceItemId: provenance.sourceItemId,
            submittedBy: provenance.submittedBy, confirmedBy: provenance.confirmedBy,
            decisionReference: provenance.decisionReference, confirmedAt: provenance.confirmedAt, note: provenance.note)
    }
}

extension Components.Schemas.List {
    init(_ stored: StoredList) {
        self.init(
            name: stored.list.name, kind: .init(stored.list.kind), matchRadius: stored.list.matchRadius,
            enabledRatio: stored.list.enabledRatio, enabled: stored.list.enabled, entryCount: stored.entryCount,
            createdAt: stored.createdAt, updatedAt: stored.updatedAt)
    }
}

extension Components.Schemas.Entry {
    init(_ entry: StoredEntry, list: String) {
        self.init(
            id: entry.id, list: list, _type: .init(entry.type), value: entry.value, provenance: .init(entry.provenance),
            disabledUntil: entry.disabledUntil, createdAt: entry.createdAt)
    }
}

extension Components.Schemas.PolicyAnswer {
    /// The policy as answered: the secret is never echoed.
    init(_ policy: ActionPolicy) {
        self.init(action: .init(policy.action), webhookUrl: policy.webhookURL, hasSecret: policy.secret != nil, fileReport: policy.fileReport)
    }
}

extension Components.Schemas.Hashes {
    init(_ result: MediaHashResult) {
        self.init(
            pdq: result.pdq.hash.hex, quality: result.pdq.quality, md5: result.digests?.md5 ?? "",
            sha256: result.digests?.sha256 ?? "", width: result.width, height: result.height, format: result.format.rawValue,
            pdqDihedral: result.dihedral?.map(\.hex))
    }
}

extension Components.Schemas.MatchAnswer {
    init(_ outcome: MatchOutcome) {
        self.init(
            query: .init(additionalProperties: outcome.query),
            matches: outcome.matches.map { match in
                Components.Schemas.Match(
                    list: match.list.list.name, entryId: match.entry.id, _type: match.entry.type.rawValue, value: match.entry.value,
                    distance: match.distance, variant: match.variant, provenance: .init(match.entry.provenance),
                    queryMatchPercent: match.video?.queryMatchPercent, comparedMatchPercent: match.video?.comparedMatchPercent,
                    explanation: match.video.map(VideoMatchExplanation.text))
            },
            actions: outcome.actions.map(Components.Schemas.Action.init),
            review: outcome.review.map(Components.Schemas.QueuedReview.init))
    }
}

extension Components.Schemas.Action {
    init(_ taken: ActionTaken) {
        self.init(list: taken.list, action: taken.action.rawValue, deliveryId: taken.deliveryId, filingId: taken.filingId)
    }
}

extension Components.Schemas.QueuedReview {
    init(_ queued: QueuedReview) {
        self.init(id: queued.id, reasons: queued.reasons.map(Components.Schemas.ReviewReason.init))
    }
}

extension Components.Schemas.ReviewReason {
    init(_ reason: ReviewReason) {
        self.init(
            kind: reason.kind == .classifier ? .classifier : .listMatch, classifier: reason.classifier,
            labels: reason.labels.map { Components.Schemas.LabelScore(label: $0.label, score: $0.score, threshold: $0.threshold) },
            list: reason.list, entryIds: reason.entryIds)
    }
}
