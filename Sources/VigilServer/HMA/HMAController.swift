// Hasher-Matcher-Actioner (HMA 2.0, "OpenMediaMatch") compatible routes.
//
// An HMA client works against a Vigil node unchanged apart from one thing: Vigil denies by
// default, so every HMA route except `GET /status` and `GET /status/live` needs an API key, sent
// as `Authorization: Bearer vk_…` (or `X-API-Key`). Scopes: `/m/…` needs `match`; `/h/…` needs
// `hash`; reading banks (`GET /c/banks`, `GET /c/bank/{name}`) needs `match` or `curate`; every
// other `/c/…` route needs `curate`; `admin` passes every check.
//
// Mapping: an HMA bank is a Vigil list (created with kind `internal`); an HMA bank content item is
// one or more Vigil entries, one per signal, added together as one content (the first entry's id
// is the content's `bank_content_id`, which every signal's lookup answers; deleting or editing the
// content changes every signal). HMA signal type names map onto Vigil's: `pdq` → pdq, `video_md5`
// (or `md5`) → md5, `video_sha256` (python-threatexchange's name; or `sha256`) → sha256. A bank's `matching_enabled_ratio` is the list's enabled ratio
// (0 when the list's kill switch is off). Errors are HMA's `{"message": "…"}` with its status.
//
// `url=` (hash, lookup, add content) fetches under the node's URL policy: off unless the node was
// started with allowed hosts (`--allow-url-host`), answered 403 otherwise, as HMA answers 403 when
// hashing is off. The content type comes from `content_type` (default `photo`), not from the
// fetched Content-Type. Files may also be uploaded as multipart/form-data under a field named for
// the content type (`photo`, `video`), as HMA expects.
//
// Signal type settings are stored and reported as HMA does (a negative enabled_ratio disables a
// type). Fields HMA validates with pydantic models are checked the same way and answered 422 with
// pydantic's list of problems. HMA's OpenAPI document is at `/openapi/openapi.json` (open).
// Exchanges (`/c/exchanges…`, `/c/exchange/{name}…`) are HMAExchanges.swift; credentials
// are per exchange (set through `/v1/exchanges`), not per exchange API.
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import VigilDomain
import VigilExchange
import VigilMatching
import VigilStore

/// The HMA 2.0 compatible routes (`/status`, `/h/…`, `/m/…`, `/c/…`): a second skin over the same
/// services as `/v1` (the one ``MatchService``, the one authoriser, the same store), in HMA's
/// shapes. Hashing, matching and curation are in their own files.
struct HMAController: Sendable {
    let node: Node
    let fetcher: URLFetcher
    let hashing: MediaHashing
    let authoriser: Authoriser

    var store: any NodeStore { node.store }
    var engine: MatchEngine { node.engine }
    var matching: MatchService { node.matching }
    var settings: ServerSettings { node.settings }
    /// The signal types the HMA routes serve (`hma.signal-types`), by HMA name, in answer order.
    var hmaSignalTypes: [(name: String, type: SignalType)] { HMASignalNames.all.filter { settings.hmaSignalTypes.contains($0.type) } }

    /// The served signal type called `name` (python-threatexchange's name or Vigil's, any case), or
    /// nil for a type Vigil does not hold or this node's HMA routes do not serve.
    func hmaSignalType(named name: String) -> SignalType? {
        HMASignalNames.signalType(named: name).flatMap { settings.hmaSignalTypes.contains($0) ? $0 : nil }
    }

    /// The same list changes (with their audit events) as `/v1`'s.
    var service: ListService { ListService(node: node) }

    /// Adds the routes at the root of `router`; every one but `/status` and `/status/live` is
    /// authenticated and authorised by its operation id.
    func addRoutes(to router: Router<VigilRequestContext>, authentication: AuthenticationMiddleware) {
        router.get("/status") { _, _ -> Response in
            let ready = engine.isReady
            return Response(
                status: ready ? .ok : .serviceUnavailable, headers: [.contentType: "text/plain"],
                body: .init(byteBuffer: ByteBuffer(string: ready ? "I-AM-ALIVE" : "INDEX-NOT-LOADED")))
        }
        router.get("/status/live") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "I-AM-ALIVE")))
        }
        let document = HMAOpenAPI.document()
        router.get("/openapi/openapi.json") { request, context -> Response in
            guard let document else {
                return try HMAError(.internalServerError, "the embedded OpenAPI document could not be read").response(from: request, context: context)
            }
            return try document.response()
        }
        let base = router.group().add(middleware: HMAErrorMiddleware()).add(middleware: authentication)
        addHashing(to: AuthorisedRoutes(group: base.group("h"), authoriser: authoriser))
        addMatching(to: AuthorisedRoutes(group: base.group("m"), authoriser: authoriser))
        addCuration(to: AuthorisedRoutes(group: base.group("c"), authoriser: authoriser))
        addExchanges(to: AuthorisedRoutes(group: base.group("c"), authoriser: authoriser))
    }
}
