import HTTPTypes
import VigilCentre
import VigilMatching
import VigilStore
import VigilText

/// The one map from the services' errors to HTTP answers (the `/v1` API answers them as they are;
/// the HMA routes turn them into HMA's shape in ``HMAErrorMiddleware``). Database details never
/// reach a client: the store's errors carry only a safe message.
enum ErrorMap {
    /// The answer to a store error: its code decides the status, its message (safe: never SQL)
    /// is the text; a busy or unavailable store is a 503 to retry, a full disk a 507.
    static func answer(_ error: StoreError) -> APIError {
        switch error.code {
        case .listNotFound: return APIError.notFound("unknown_list", error.message)
        case .entryNotFound: return APIError.notFound("unknown_entry", error.message)
        case .organisationNotFound: return APIError.notFound("unknown_organisation", error.message)
        case .keyNotFound: return APIError.notFound("unknown_key", error.message)
        case .reportNotFound: return APIError.notFound("unknown_report", error.message)
        case .referralNotFound: return APIError.notFound("unknown_referral", error.message)
        case .signingKeyNotFound: return APIError.notFound("unknown_signing_key", error.message)
        case .itemNotFound: return APIError.notFound("unknown_item", error.message)
        case .filingNotFound: return APIError.notFound("unknown_filing", error.message)
        case .preservationNotFound: return APIError.notFound("no_preservation", error.message)
        case .exchangeNotFound: return APIError.notFound("unknown_exchange", error.message)
        case .reviewNotFound: return APIError.notFound("unknown_review", error.message)
        case .reviewDecided: return APIError(.conflict, code: "review_decided", error.message)
        case .exchangeExists: return APIError(.conflict, code: "exchange_exists", error.message)
        case .itemClassified: return APIError(.conflict, code: "item_classified", error.message)
        case .reportExists:
            // Where the report filed earlier is: a provider that resends after a lost answer learns its id.
            return APIError(
                .conflict, code: "report_exists", error.message, headers: error.existingId.map { [.location: "/v1/reports/\($0)"] } ?? [:])
        case .stateChanged: return APIError(.conflict, code: "state_changed", error.message)
        case .listExists: return APIError(.conflict, code: "list_exists", error.message)
        case .organisationExists: return APIError(.conflict, code: "organisation_exists", error.message)
        case .conflict: return APIError(.conflict, code: "conflict", error.message)
        case .invalid: return APIError.badRequest("invalid_request", error.message)
        case .busy:
            return APIError(.serviceUnavailable, code: "store_busy", error.message, headers: [.retryAfter: "1"])
        case .unavailable:
            return APIError(.serviceUnavailable, code: "store_unavailable", error.message, headers: [.retryAfter: "5"])
        case .diskFull:
            // 507: the request was fine, the node has no room to keep it; the same request succeeds once space is freed.
            return APIError(insufficientStorage, code: "disk_full", error.message, headers: [.retryAfter: "60"])
        default: return APIError(.internalServerError, code: "store_error", error.message)
        }
    }

    /// 507 Insufficient Storage: the store's disk is full (``StoreError/Code/diskFull``).
    static let insufficientStorage = HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage")

    /// The answer to a refused lookup.
    static func answer(_ error: MatchError) -> APIError {
        switch error {
        case .unknownList: APIError.notFound("unknown_list", error.description)
        case .notReady: APIError(.serviceUnavailable, code: "not_ready", error.description)
        }
    }

    /// The answer to a refusal of the Centre's services.
    static func answer(_ error: CentreError) -> APIError {
        switch error.code {
        case .incompleteReport: APIError(.unprocessableContent, code: error.code.name, error.message, problems: error.problems)
        case .unknownSigningKey, .badSignature: APIError(.unprocessableContent, code: error.code.name, error.message)
        case .transitionRefused, .sameReviewer: APIError(.conflict, code: error.code.name, error.message)
        case .proposalNotFound: APIError.notFound("unknown_proposal", error.message)
        default: APIError(.unprocessableContent, code: error.code.name, error.message)
        }
    }

    /// The answer to a refused conversation (``ConversationAssessor``): a language with no set
    /// loaded (the message names the loaded ones) or one over the assessor's own limits is 422.
    static func answer(_ error: TextError) -> APIError {
        switch error.code {
        case .unknownLanguage: APIError(.unprocessableContent, code: "unknown_language", error.message)
        case .invalidConversation: APIError(.unprocessableContent, code: "invalid_conversation", error.message)
        default: APIError(.internalServerError, code: "text_error", error.message)
        }
    }

    /// Any error a service throws, as an answer when it is one of the services' own, else as it is.
    static func answer(_ error: any Error) -> any Error {
        switch error {
        case let error as StoreError: answer(error)
        case let error as CentreError: answer(error)
        case let error as MatchError: answer(error)
        case let error as TextError: answer(error)
        default: error
        }
    }
}

/// Runs a store call, turning its errors into HTTP answers.
func storeCall<T>(_ body: () async throws(StoreError) -> T) async throws -> T {
    do {
        return try await body()
    } catch {
        throw ErrorMap.answer(error)
    }
}

/// Runs a service call, turning the services' errors into HTTP answers.
func serviceCall<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch {
        throw ErrorMap.answer(error)
    }
}
