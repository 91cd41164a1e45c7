import Crypto
import Foundation
import HTTPTypes
import VigilAPI
import VigilDomain
import VigilMatching
import VigilStore
import VigilText

/// `POST /v1/match/conversation`: a conversation scored against the node's text indicators (the
/// sets it loaded and its lists' `text_indicator` entries, ``ConversationIndicators``), answered
/// with its stages and the indicators that fired and why, a list indicator with its list, entry
/// and provenance. The answer is a risk signal for a person to check, never a verdict. The lists
/// whose entries fired act through their policies as for a hash match (``MatchService/record``):
/// a webhook message, a filing, a review item for a quarantine list, recorded before the answer;
/// what is recorded identifies the conversation by the SHA-256 of its texts, never by its words.
struct ConversationMatching: Sendable {
    /// The node's indicators (the installed assessor is read, never waited for).
    let indicators: ConversationIndicators
    /// The one match service: the list rules (deleted, kill switch, rollout, disabled entries)
    /// apply to list indicators as to hashes.
    let matching: MatchService
    /// The route's limits.
    let settings: ConversationSettings

    /// The answer to a node that loaded no indicator set.
    static let notLoaded = APIError(
        .serviceUnavailable, code: "no_text_indicators",
        "this node has no text indicator set loaded: set text.indicators-directory (VIGIL_TEXT_INDICATORS_DIRECTORY) to a folder of "
            + "vigil-text-indicators-v1 files and restart it")

    /// The assessment of `query`.
    ///
    /// - Throws: an ``APIError``: 422 for a conversation ``ConversationRule`` refuses or in a
    ///   language with no set loaded, 503 `no_text_indicators` when the node loaded none.
    func answer(_ query: Components.Schemas.ConversationQuery) async throws -> Components.Schemas.ConversationAnswer {
        let conversation = try ConversationRule.conversation(query, settings: settings)
        // The assessor installed now; a stale one starts a rebuild aside and is used meanwhile.
        indicators.refreshInBackground()
        let built = indicators.current
        guard let assessor = built.assessor else { throw Self.notLoaded }
        var assessment: TextAssessment
        do throws(TextError) {
            assessment = try assessor.assess(conversation)
        } catch {
            throw ErrorMap.answer(error)
        }
        // The conversation's SHA-256: its rollout key and, in what is recorded, its name.
        let key = Self.rolloutKey(conversation)
        let listed = try await listedHits(assessment, built: built, rolloutKey: key)
        if assessment.hits.contains(where: { built.origin(set: $0.setId, indicator: $0.indicatorId) != nil }) {
            assessment = assessment.keeping { hit in
                built.origin(set: hit.setId, indicator: hit.indicatorId).map { listed[$0.entryId] != nil } ?? true
            }
        }
        let recorded = try await serviceCall {
            try await matching.record(
                on: listed.values.sorted { $0.entry.id < $1.entry.id }, query: ["type": "conversation", "sha256": key],
                mediaType: Self.mediaType)
        }
        var answer = Self.answer(
            assessment, messages: conversation.messages.count, reviewScore: settings.reviewScore, built: built, listed: listed)
        answer.actions = recorded.actions.map(Components.Schemas.Action.init)
        answer.review = recorded.review.map(Components.Schemas.QueuedReview.init)
        return answer
    }

    /// The media type a conversation's review item carries.
    static let mediaType = "text/vnd.vigil.conversation"

    /// The list indicators among `assessment`'s hits that the list rules keep (the list is live, its
    /// kill switch on, its rollout includes the conversation, the entry not disabled), by entry id.
    func listedHits(_ assessment: TextAssessment, built: ConversationIndicators.Built, rolloutKey: String) async throws
        -> [Int64: MatchedEntry]
    {
        var seen = Set<Int64>()
        let hits = assessment.hits.compactMap { hit -> EngineMatch? in
            guard let origin = built.origin(set: hit.setId, indicator: hit.indicatorId), seen.insert(origin.entryId).inserted else { return nil }
            return EngineMatch(entryId: origin.entryId, listId: origin.listId, distance: 0, variant: "orig")
        }
        guard !hits.isEmpty else { return [:] }
        let request = MatchRequest(lists: .all, rolloutKey: rolloutKey)
        let confirmed = try await serviceCall { try await matching.confirm(hits, request: request) }
        return Dictionary(confirmed.map { ($0.entry.id, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// A conversation's staged-rollout key: the SHA-256 of its texts (the same conversation always
    /// gets the same answer from a list at a partial rollout).
    static func rolloutKey(_ conversation: Conversation) -> String {
        var hasher = SHA256()
        for message in conversation.messages {
            hasher.update(data: Data(message.text.utf8))
            hasher.update(data: Data([0]))
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// The answer's JSON for `assessment`: each stage with its messages and the indicators that
    /// fired in them (a list indicator with its list, entry and provenance), and an explanation
    /// that says what was seen and that a person must check it.
    static func answer(
        _ assessment: TextAssessment, messages count: Int, reviewScore: Double, built: ConversationIndicators.Built? = nil,
        listed: [Int64: MatchedEntry] = [:]
    ) -> Components.Schemas.ConversationAnswer {
        let review = assessment.score > 0 && assessment.score >= reviewScore
        let stages = assessment.stages.map { stage in
            let hits = assessment.hits.filter { $0.category == stage.category && $0.stage == stage.stage }
            return Components.Schemas.ConversationStage(
                stage: stage.stage, category: stage.category.rawValue, score: stage.weight, messages: Array(Set(hits.map(\.message))).sorted(),
                indicators: hits.map { hit in
                    guard let origin = built?.origin(set: hit.setId, indicator: hit.indicatorId), let match = listed[origin.entryId] else {
                        return Components.Schemas.ConversationIndicator(
                            set: hit.setId, id: hit.indicatorId, phrase: hit.phrase, weight: hit.weight, message: hit.message,
                            matchedText: hit.matched,
                            explanation: hit.explanation)
                    }
                    return Components.Schemas.ConversationIndicator(
                        set: match.list.list.name, id: origin.indicatorId, phrase: hit.phrase, weight: hit.weight, message: hit.message,
                        matchedText: hit.matched, explanation: hit.explanation, list: match.list.list.name, entryId: match.entry.id,
                        provenance: .init(match.entry.provenance))
                })
        }
        let level = Components.Schemas.ConversationAnswer.LevelPayload(rawValue: assessment.level.rawValue) ?? .low
        return Components.Schemas.ConversationAnswer(
            score: assessment.score, level: level, reviewRequired: review,
            explanation: explanation(assessment, messages: count, reviewRequired: review, reviewScore: reviewScore), stages: stages,
            languages: assessment.languages, hintsApplied: assessment.hints.map(\.rawValue), actions: [])
    }

    /// One paragraph for the person who reads the answer.
    static func explanation(_ assessment: TextAssessment, messages count: Int, reviewRequired: Bool, reviewScore: Double) -> String {
        let caveat = "This is a risk signal for a person to check, never a verdict: read the messages and the indicators' explanations before acting."
        let sets = "the \(assessment.languages.joined(separator: ", ")) indicator sets"
        let score = String(format: "%.2f", assessment.score)
        guard !assessment.hits.isEmpty else {
            return "No indicator of \(sets) was found in the \(count) message\(count == 1 ? "" : "s") (score \(score), low). "
                + "A low score does not clear a conversation: indicators only cover known phrasings. " + caveat
        }
        let seen = assessment.stages.map { stage in
            let messages = Array(Set(assessment.hits.filter { $0.category == stage.category && $0.stage == stage.stage }.map(\.message))).sorted()
            let name = stage.stage.replacingOccurrences(of: "_", with: " ")
            return "\(name) (message\(messages.count == 1 ? "" : "s") \(messages.map(String.init).joined(separator: ", ")))"
        }
        var text = "\(assessment.level.rawValue.capitalized) risk (score \(score)) by \(sets): "
        text += "\(assessment.stages.count) stage\(assessment.stages.count == 1 ? "" : "s") seen in \(assessment.hits.count) "
        text += "indicator hit\(assessment.hits.count == 1 ? "" : "s"): \(seen.joined(separator: "; ")). "
        if !assessment.hints.isEmpty {
            text += "The hint\(assessment.hints.count == 1 ? "" : "s") \(assessment.hints.map(\.rawValue).joined(separator: ", ")) raised the score. "
        }
        if reviewRequired { text += "Review required (score at or above \(String(format: "%.2f", reviewScore))). " }
        return text + caveat
    }
}

/// What a conversation sent for assessment must be, checked in one place before any work is done:
/// at least one message and at most the node's limit, each message's text within its byte limit, times
/// in RFC 3339, hints that exist. (A body that is not the documented JSON is a 400 before this; a
/// body over `text.max-body-bytes` a 413.)
enum ConversationRule {
    /// `query` as a ``Conversation`` (hints without repeats, language in lower case).
    ///
    /// - Throws: an ``APIError`` 422 saying which message or hint is wrong and what to send instead.
    static func conversation(_ query: Components.Schemas.ConversationQuery, settings: ConversationSettings) throws(APIError) -> Conversation {
        guard !query.messages.isEmpty else {
            throw APIError(.unprocessableContent, code: "empty_conversation", "messages is empty: send at least one message")
        }
        guard query.messages.count <= settings.maxMessages else {
            throw APIError(
                .unprocessableContent, code: "too_many_messages",
                "\(query.messages.count) messages: at most \(settings.maxMessages) are assessed at once (text.max-messages); "
                    + "split the conversation into consecutive parts")
        }
        var messages: [VigilText.ConversationMessage] = []
        messages.reserveCapacity(query.messages.count)
        for (index, message) in query.messages.enumerated() {
            let bytes = message.text.utf8.count
            guard bytes <= settings.maxMessageBytes else {
                throw APIError(
                    .unprocessableContent, code: "message_too_long",
                    "messages[\(index)].text is \(bytes) bytes of UTF-8: at most \(settings.maxMessageBytes) (text.max-message-bytes); "
                        + "split the message")
            }
            if let at = message.at, !RFC3339.isValid(at) {
                throw APIError(
                    .unprocessableContent, code: "invalid_time",
                    "messages[\(index)].at is not an RFC 3339 time: send it as 2026-01-01T12:00:00Z (or leave it out)")
            }
            messages.append(VigilText.ConversationMessage(sender: message.sender, at: message.at, text: message.text))
        }
        var hints: [ConversationHint] = []
        for (index, name) in (query.hints ?? []).enumerated() {
            guard let hint = ConversationHint(rawValue: name) else {
                throw APIError(
                    .unprocessableContent, code: "unknown_hint",
                    "hints[\(index)] \"\(name)\" is not a hint: send \(ConversationHint.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            if !hints.contains(hint) { hints.append(hint) }
        }
        return Conversation(messages: messages, language: query.language?.lowercased(), hints: hints)
    }
}
