public import VigilDomain

/// Why the Centre refused a request about a report: a stable ``code``, a message for people, and,
/// for an incomplete report, the list of problems.
public struct CentreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of refusal this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's stable snake_case name.
        public let name: String
        private init(_ name: String) { self.name = name }

        /// The report lacks required fields or has invalid ones (see ``CentreError/problems``).
        public static let incompleteReport = Code("incomplete_report")
        /// The signature's key is not registered to the filing organisation, or was revoked.
        public static let unknownSigningKey = Code("unknown_signing_key")
        /// The signature does not verify.
        public static let badSignature = Code("bad_signature")
        /// The state machine refuses the step (see ``ReportState``).
        public static let transitionRefused = Code("transition_refused")
        /// The decision is not acceptable as given (an empty explanation…).
        public static let invalidDecision = Code("invalid_decision")
        /// A supervisor tried to approve their own decision.
        public static let sameReviewer = Code("same_reviewer")
        /// No proposal has the id given.
        public static let proposalNotFound = Code("proposal_not_found")
        /// A file's bytes do not belong to the report: no such reference, sent twice, or a digest
        /// other than the one the signed report declares.
        public static let fileMismatch = Code("file_mismatch")
        /// A file is larger than the Centre accepts.
        public static let fileTooLarge = Code("file_too_large")
        /// The Centre cannot store files now (it has no master key).
        public static let contentNotAccepted = Code("content_not_accepted")
        /// Stored content could not be opened (a master key missing, or the stored bytes altered).
        public static let contentUnreadable = Code("content_unreadable")
        /// A provider's signing key file cannot be read, or holds no Ed25519 key.
        public static let invalidSigningKeyFile = Code("invalid_signing_key_file")

        /// The name.
        public var description: String { name }
    }

    /// What kind of refusal this is.
    public var code: Code
    /// What is wrong and what to do.
    public var message: String
    /// The report's problems (for ``Code/incompleteReport``).
    public var problems: [ReportProblem]

    /// A refusal.
    public init(code: Code, message: String, problems: [ReportProblem] = []) {
        self.code = code
        self.message = message
        self.problems = problems
    }

    /// The message.
    public var description: String { message }

    /// Matches an error by its code.
    public static func ~= (pattern: Code, value: CentreError) -> Bool { pattern == value.code }
}
