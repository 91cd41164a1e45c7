import HTTPTypes
import VigilMatching
import VigilStore

/// The one map from the services' errors to HTTP answers (the `/v1` API answers them as they are;
/// the HMA routes turn them into HMA's shape in ``HMAErrorMiddleware``). Database details never
/// reach a client: the store's errors carry only a safe message.
enum ErrorMap {
    /// The answer to a store error.
    static func answer(_ error: StoreError) -> APIError {
        switch error {
        case .listNotFound: APIError.notFound("unknown_list", error.description)
        case .entryNotFound: APIError.notFound("unknown_entry", error.description)
        case .listExists: APIError(.conflict, code: "list_exists", error.description)
        case .invalid: APIError.badRequest("invalid_request", error.description)
        case .database: APIError(.internalServerError, code: "database_error", "the database failed; the failure is logged")
        }
    }

    /// The answer to a refused lookup.
    static func answer(_ error: MatchError) -> APIError {
        switch error {
        case .unknownList: APIError.notFound("unknown_list", error.description)
        case .notReady: APIError(.serviceUnavailable, code: "not_ready", error.description)
        }
    }

    /// Any error a service throws, as an answer when it is one of the services' own, else as it is.
    static func answer(_ error: any Error) -> any Error {
        switch error {
        case let error as StoreError: answer(error)
        case let error as MatchError: answer(error)
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
