public import Foundation
public import VigilDomain

/// One CyberTipline report being filed through the ISPWS endpoints, as a value: opened by
/// `/submit`, files added by `/upload` (each gets a file id) and described by `/fileinfo`, then
/// finished by `/finish` (it becomes a Vigil ``Report``) or retracted by `/retract`.
///
/// Pure: every step takes the time it happens at; nothing reads a clock. The rules:
/// - a finished or retracted report cannot be changed, finished or retracted again: a finished one
///   answers 5102 (report already finished), a retracted one 5101 (report already retracted);
/// - an unfinished report expires (see ``Lifetime``); an expired one cannot be changed, finished or
///   retracted, and answers 5001 (report does not exist), as NCMEC answers for a report it deleted;
/// - `/fileinfo` for a file id the report does not hold answers 5002 (file does not exist).
public struct CyberTiplineSubmission: Sendable, Hashable {
    /// Where the report stands.
    public enum State: String, Sendable, Hashable, CaseIterable {
        /// Opened, not yet finished or retracted.
        case open
        /// Finished: filed as a Vigil report.
        case finished
        /// Retracted by the provider.
        case retracted
    }

    /// How long an unfinished report lives.
    ///
    /// NCMEC's documentation, as its clients transcribe it, deletes an unfinished report "24 hours
    /// after it is opened, or 1 hour after the last modification, whichever is later". That is
    /// Vigil's default too, so that an integration written for NCMEC behaves the same here;
    /// ``Rule/earlier`` is the stricter choice (an abandoned draft, which may hold a provider's
    /// files, is dropped after an hour of silence).
    public struct Lifetime: Sendable, Hashable {
        /// How the two limits combine.
        public enum Rule: String, Sendable, Hashable, CaseIterable {
            /// The report expires at the earlier of the two times.
            case earlier
            /// The report expires at the later of the two times (NCMEC's documented behaviour).
            case later
        }

        /// How long after opening.
        public var afterOpening: TimeInterval
        /// How long after the last change (opening, an upload, a file's details).
        public var afterLastChange: TimeInterval
        /// How the two combine.
        public var rule: Rule

        /// A lifetime; the default is NCMEC's: 24 h after opening or 1 h after the last change, whichever is later.
        public init(afterOpening: TimeInterval = 24 * 3_600, afterLastChange: TimeInterval = 3_600, rule: Rule = .later) {
            self.afterOpening = afterOpening
            self.afterLastChange = afterLastChange
            self.rule = rule
        }

        /// When a report opened at `openedAt` and last changed at `lastChangedAt` expires: the one rule.
        public func expiry(openedAt: Date, lastChangedAt: Date) -> Date {
            let a = openedAt.addingTimeInterval(afterOpening)
            let b = lastChangedAt.addingTimeInterval(afterLastChange)
            return rule == .earlier ? min(a, b) : max(a, b)
        }
    }

    /// A file uploaded to the report.
    public struct File: Sendable, Hashable {
        /// The id `/upload` answered with (the Centre's; NCMEC's are 32 hex digits).
        public var fileId: String
        /// Hashes of the bytes as uploaded, computed by the Centre (MD5, which `/upload` answers
        /// with, and ideally SHA-256).
        public var hashes: [FileHash]
        /// The media type the upload declared, if any.
        public var mediaType: String?
        /// When it was uploaded.
        public var uploadedAt: Date
        /// What `/fileinfo` said about it, if anything (the last `/fileinfo` wins).
        public var details: CyberTiplineFileDetails?

        /// A file.
        public init(fileId: String, hashes: [FileHash], mediaType: String? = nil, uploadedAt: Date, details: CyberTiplineFileDetails? = nil) {
            self.fileId = fileId
            self.hashes = hashes
            self.mediaType = mediaType
            self.uploadedAt = uploadedAt
            self.details = details
        }
    }

    /// The report's id (the Centre's, answered by `/submit`).
    public let reportId: Int
    /// The `<report>` as submitted.
    public let report: CyberTiplineReport
    /// When it was opened.
    public let openedAt: Date
    /// How long it lives unfinished.
    public let lifetime: Lifetime
    /// When it last changed (opened, a file uploaded or described).
    public private(set) var lastChangedAt: Date
    /// Where it stands.
    public private(set) var state: State
    /// When it was finished or retracted.
    public private(set) var closedAt: Date?
    /// The files, in upload order.
    public private(set) var files: [File]

    /// Opens a report (`/submit`).
    public init(reportId: Int, report: CyberTiplineReport, openedAt: Date, lifetime: Lifetime = Lifetime()) {
        self.reportId = reportId
        self.report = report
        self.openedAt = openedAt
        self.lifetime = lifetime
        self.lastChangedAt = openedAt
        self.state = .open
        self.closedAt = nil
        self.files = []
    }

    /// A submission as it was stored (the store keeps its XML, state and times; the rules stay here).
    public init(
        restoring reportId: Int, report: CyberTiplineReport, openedAt: Date, lastChangedAt: Date, state: State, closedAt: Date?, files: [File],
        lifetime: Lifetime = Lifetime()
    ) {
        self.reportId = reportId
        self.report = report
        self.openedAt = openedAt
        self.lifetime = lifetime
        self.lastChangedAt = lastChangedAt
        self.state = state
        self.closedAt = closedAt
        self.files = files
    }

    /// When the report expires if it stays unfinished; nil once finished or retracted.
    public var expiresAt: Date? {
        state == .open ? lifetime.expiry(openedAt: openedAt, lastChangedAt: lastChangedAt) : nil
    }

    /// Whether the report expired unfinished by `time` (it expires at ``expiresAt``, inclusive).
    public func isExpired(at time: Date) -> Bool {
        guard let expiresAt else { return false }
        return time >= expiresAt
    }

    /// Adds an uploaded file (`/upload`).
    public mutating func upload(fileId: String, hashes: [FileHash], mediaType: String? = nil, at time: Date) throws(CyberTiplineError) {
        try requireOpen(at: time)
        guard !files.contains(where: { $0.fileId == fileId }) else {
            throw CyberTiplineError(
                .invalidRequest, element: "fileId", "report \(reportId) already holds a file \(fileId): give each upload a new id")
        }
        guard files.count < ReportValidation.Limits.files else {
            throw CyberTiplineError(
                .invalidRequest,
                "report \(reportId) already holds \(files.count) files, the most one report may hold: file the rest in another report")
        }
        files.append(File(fileId: fileId, hashes: hashes, mediaType: mediaType, uploadedAt: time))
        lastChangedAt = time
    }

    /// Records what `/fileinfo` says about one of the report's files (replacing what an earlier
    /// `/fileinfo` said about it).
    public mutating func describe(_ details: CyberTiplineFileDetails, at time: Date) throws(CyberTiplineError) {
        guard details.reportId == reportId else {
            throw CyberTiplineError(
                .unknownReport, element: "fileDetails/reportId", "is \(details.reportId), but this is report \(reportId): send it to its own report")
        }
        try requireOpen(at: time)
        guard let index = files.firstIndex(where: { $0.fileId == details.fileId }) else {
            throw CyberTiplineError(
                .unknownFile, element: "fileDetails/fileId",
                "report \(reportId) holds no file \(details.fileId): upload the file first and use the fileId /upload answered")
        }
        files[index].details = details
        lastChangedAt = time
    }

    /// Finishes the report (`/finish`): maps it onto a Vigil ``Report`` (see
    /// ``CyberTiplineMapping``) and, when that report is complete, closes the submission and returns
    /// it. When it is not complete the submission stays open (it may still be retracted, or
    /// finished once the Centre's settings for the provider supply what was missing) and the
    /// error lists the problems.
    public mutating func finish(at time: Date, provider: CyberTiplineProvider) throws(CyberTiplineError) -> Report {
        try requireOpen(at: time)
        let mapped = CyberTiplineMapping.report(self, provider: provider, finishedAt: time)
        guard mapped.problems.isEmpty else {
            throw CyberTiplineError(
                .incompleteReport,
                "report \(reportId) cannot be filed: Vigil needs what the problems below name (NCMEC's XML has no place for some of it)",
                problems: mapped.problems)
        }
        state = .finished
        closedAt = time
        return mapped.report
    }

    /// Retracts the report (`/retract`).
    public mutating func retract(at time: Date) throws(CyberTiplineError) {
        try requireOpen(at: time)
        state = .retracted
        closedAt = time
    }

    /// The one check before every step: the report is open and not expired at `time`.
    public func requireOpen(at time: Date) throws(CyberTiplineError) {
        switch state {
        case .finished:
            throw CyberTiplineError(.alreadyFinished, "report \(reportId) was already finished and cannot be changed: open a new report")
        case .retracted:
            throw CyberTiplineError(.alreadyRetracted, "report \(reportId) was retracted and cannot be changed: open a new report")
        case .open:
            if let expiresAt, time >= expiresAt {
                throw CyberTiplineError(
                    .unknownReport,
                    "report \(reportId) expired unfinished at \(expiresAt.rfc3339) (unfinished reports last \(Self.describe(lifetime))): submit it again"
                )
            }
        }
    }

    private static func describe(_ lifetime: Lifetime) -> String {
        let hours = { (seconds: TimeInterval) in
            seconds.truncatingRemainder(dividingBy: 3_600) == 0 ? "\(Int(seconds / 3_600)) h" : "\(Int(seconds)) s"
        }
        return "\(hours(lifetime.afterOpening)) after opening or \(hours(lifetime.afterLastChange)) after the last change, "
            + (lifetime.rule == .earlier ? "whichever comes first" : "whichever comes later")
    }
}
