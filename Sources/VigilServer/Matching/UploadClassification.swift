import Logging
import Metrics
import VigilAPI
import VigilClassifier
import VigilDomain
import VigilHash
import VigilMatching
import VigilMedia
import VigilPipeline
import VigilStore

/// The classifier's part of an uploaded image's match (`POST /v1/match/file` and `/v1/match/url`),
/// in this order:
/// 1. the image is hashed, and matched against the lists (``MatchService/find(_:)``);
/// 2. unless a matched list's policy blocks it (``ReviewRule/consultsClassifier(matchedActions:)``),
///    the classifier is asked for its scores;
/// 3. the match service records the actions and, when a list quarantines the content or a score
///    reaches its label's threshold, the review item, in one transaction
///    (``MatchService/record(on:query:hashes:subject:scored:mediaType:)``);
/// 4. the answer is the match answer with `review` (when queued) and `classifier`: whether it was
///    consulted, its scores, or why not.
///
/// A classifier that fails (time limit, garbage, unreachable, busy, breaker open) never fails the
/// upload: the answer says it was not consulted and why, and `vigil_classifier_calls_total`
/// counts it by outcome.
struct UploadClassification: Sendable {
    /// The node's classifier (nil: none is configured; the answer has no `classifier`).
    let classifier: (any Classifier)?
    /// The labels' review thresholds.
    let thresholds: ReviewThresholds
    let logger = Logger(label: "vigil.classifier")

    /// The answer to an uploaded image's match.
    func answer(
        bytes: [UInt8], hashed: MediaHashResult, request: MatchRequest, query: [String: String], matching: MatchService
    ) async throws -> Components.Schemas.MatchAnswer {
        let matches = try await serviceCall { try await matching.find(request) }
        let hashes = MatchService.reportHashes(pdq: request.pdq.first, digests: request.digests)
        let mediaType = "image/\(hashed.format.rawValue)"
        var consultation: Components.Schemas.ClassifierConsultation?
        var scored: ScoredContent?
        if let classifier {
            let policies = matching.engine.policies
            let actions = matches.compactMap { policies[$0.list.id]?.action }
            if ReviewRule.consultsClassifier(matchedActions: actions) {
                let input = ClassifierInput(
                    bytes: bytes, mediaType: mediaType, sha256: hashed.digests?.sha256, md5: hashed.digests?.md5, pdq: hashed.pdq.hash.hex)
                switch await Self.ask(classifier, input) {
                case .success(let answer):
                    scored = ScoredContent(classifier: answer.identity, scores: answer.scores, thresholds: thresholds)
                    consultation = .init(consulted: true, classifier: answer.identity, scores: .init(additionalProperties: answer.scores))
                case .failure(let error):
                    logger.warning("classifier not consulted", metadata: ["reason": "\(error.code.rawValue)", "message": "\(error.message)"])
                    consultation = .init(consulted: false, reason: .init(rawValue: error.code.rawValue), message: error.message)
                }
            } else {
                Counter(label: "vigil_classifier_skipped_total", dimensions: [("reason", "blocked")]).increment()
                consultation = .init(
                    consulted: false, reason: .blocked, message: "a matched list blocks the content; the classifier is asked only about the rest")
            }
        }
        let recorded = try await serviceCall {
            try await matching.record(on: matches, query: query, hashes: hashes, scored: scored, mediaType: mediaType)
        }
        var answer = Components.Schemas.MatchAnswer(
            MatchOutcome(query: query, matches: matches, actions: recorded.actions, review: recorded.review))
        answer.classifier = consultation
        return answer
    }

    /// The classifier's answer or why there is none.
    static func ask(_ classifier: any Classifier, _ input: ClassifierInput) async -> Result<Classification, ClassifierError> {
        do {
            return .success(try await classifier.classify(input))
        } catch {
            return .failure(error)
        }
    }
}
