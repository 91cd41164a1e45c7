public import VigilCentre
public import VigilDomain

/// Where and how a provider node files the reports its action policies ask for (`filing.*`).
///
/// Filing is configured when the Centre's address is: then the API key the Centre issued (scope
/// `report`), the provider's signing key and its details are required too.
public struct FilingSettings: Sendable {
    /// The Centre's base URL (`http://…` or `https://…`).
    public var centreURL: String
    /// The API key the Centre issued to this provider (scope `report`).
    public var apiKey: String
    /// The provider's Ed25519 signing key (registered with the Centre).
    public var signer: ReportSigner
    /// What every report says about the provider.
    public var profile: FilingProfile
    /// How often due filings are sent, in seconds.
    public var intervalSeconds: Double = 5
    /// How often a filed report's status is read again from the Centre, in seconds.
    public var statusIntervalSeconds: Double = 300
    /// The wait after the first failed attempt, doubled after each (at most an hour), in seconds.
    public var baseDelaySeconds: Double = 5
    /// Attempts before a filing is given up as failed (kept for people to look at).
    public var maxAttempts = 20
    /// How long one request to the Centre may take, connecting included, in seconds.
    public var requestTimeoutSeconds: Double = 30

    /// Settings for filing with the Centre at `centreURL`.
    public init(centreURL: String, apiKey: String, signer: ReportSigner, profile: FilingProfile) {
        self.centreURL = centreURL
        self.apiKey = apiKey
        self.signer = signer
        self.profile = profile
    }
}
