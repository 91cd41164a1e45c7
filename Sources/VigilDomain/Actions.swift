/// What a provider does with content that matches a list.
public enum ListAction: String, Sendable, Codable, CaseIterable, Hashable {
    /// Refuse the upload.
    case block
    /// Hold the content for human review.
    case quarantine
    /// Let it through but tell someone (a moderator, a trust-and-safety queue).
    case notify
}

/// A list's action policy: the action, optionally a webhook that receives every match, signed
/// with HMAC-SHA256 over the timestamp and body, and whether a match files a report with the
/// Centre (``FilingDraft``).
public struct ActionPolicy: Sendable, Codable, Hashable {
    /// The action to take.
    public var action: ListAction
    /// Where match events are posted (http or https), if anywhere.
    public var webhookURL: String?
    /// The shared secret the webhook's signature is made with (16 to 256 characters).
    public var secret: String?
    /// Whether every match files a report with the Centre (the node's `filing.*` settings say which
    /// Centre, and with which signing key).
    public var fileReport: Bool

    /// JSON keys: `action`, `webhookUrl` (`webhook_url` in snake case), `secret`, `fileReport`.
    enum CodingKeys: String, CodingKey {
        case action
        case webhookURL = "webhookUrl"
        case secret
        case fileReport
    }

    /// Creates a policy.
    public init(action: ListAction, webhookURL: String? = nil, secret: String? = nil, fileReport: Bool = false) {
        self.action = action
        self.webhookURL = webhookURL
        self.secret = secret
        self.fileReport = fileReport
    }

    /// Reads a policy; an absent `fileReport` is false.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        action = try c.decode(ListAction.self, forKey: .action)
        webhookURL = try c.decodeIfPresent(String.self, forKey: .webhookURL)
        secret = try c.decodeIfPresent(String.self, forKey: .secret)
        fileReport = try c.decodeIfPresent(Bool.self, forKey: .fileReport) ?? false
    }

    /// Checks the webhook address (an http or https URL without credentials, see ``OutboundURL``)
    /// and secret. The addresses its host resolves to are checked when a delivery is made.
    public func validate() throws(ActionPolicyError) {
        guard let webhookURL else { return }
        guard webhookURL.utf8.count <= 2048 else { throw .invalidWebhookURL(webhookURL, problem: "it is over 2048 bytes") }
        do throws(OutboundURLError) {
            _ = try OutboundURL(webhookURL)
        } catch {
            throw .invalidWebhookURL(webhookURL, problem: error.description)
        }
        guard let secret, (16...256).contains(secret.utf8.count) else { throw .missingSecret }
    }
}

/// Why an action policy was refused.
public enum ActionPolicyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The webhook is not an http(s) URL without credentials (the URL, and what is wrong).
    case invalidWebhookURL(String, problem: String)
    /// A webhook needs a secret of 16 to 256 characters to sign its deliveries.
    case missingSecret

    /// What is wrong and what is accepted.
    public var description: String {
        switch self {
        case .invalidWebhookURL(let url, let problem): "webhook_url \"\(url.prefix(100))\" is refused: \(problem)"
        case .missingSecret: "a webhook needs a secret of 16 to 256 characters; its deliveries are signed with it"
        }
    }
}
