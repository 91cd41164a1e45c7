import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import VigilCentre
import VigilDomain
import VigilStore

/// NCMEC's CyberTipline reporting protocol at `/ispws`, so that a provider's NCMEC integration can
/// point at the Centre: `GET /ispws/status`, `POST /ispws/submit` (`<report>` XML),
/// `POST /ispws/upload` (multipart: `id` and `file`), `POST /ispws/fileinfo` (`<fileDetails>`
/// XML), `POST /ispws/finish` and `POST /ispws/retract` (form field `id`).
///
/// Credentials are HTTP Basic: the provider organisation's name and an API key of it with scope
/// `report`. A missing or wrong credential is a 401 with an empty body (as NCMEC answers); every
/// other answer is NCMEC's XML (`<reportResponse>`, `<reportDoneResponse>` for `/finish`) with its
/// response code, and a `Request-ID` header. HTTP statuses follow the code: 0 → 200; 4000–4200 →
/// 400; 5001/5002 → 404; 5101/5102 → 409; 3000s → 403; 1000s → 500 (503 when the store is busy).
struct CyberTiplineController: Sendable {
    /// The operation ids of the protocol's routes (for the access table and the OpenAPI document).
    static let operations = [
        "cybertiplineStatus", "cybertiplineSubmit", "cybertiplineUpload", "cybertiplineFileInfo", "cybertiplineFinish", "cybertiplineRetract",
    ]
    /// The largest XML document accepted.
    static let maxXMLBytes = 1 << 20

    let node: Node
    let authoriser: Authoriser
    let service: CyberTiplineService

    func addRoutes(to router: Router<VigilRequestContext>, authentication: AuthenticationMiddleware) {
        let ispws = router.group("ispws").add(middleware: CyberTiplineAnswers()).add(middleware: authentication)
        let routes = AuthorisedRoutes(group: ispws, authoriser: authoriser)
        routes.on(.get, "status", "cybertiplineStatus") { _, context in
            let principal = try principal(context)
            return Self.answer(.status(user: principal.organisation, remoteIP: context.remoteAddress ?? "unknown"))
        }
        routes.on(.post, "submit", "cybertiplineSubmit") { request, context in
            let xml = try await body(request, limit: Self.maxXMLBytes)
            let id = try await service.submit(xml: xml, by: try principal(context))
            return Self.answer(.submitted(reportId: Int(id)))
        }
        routes.on(.post, "upload", "cybertiplineUpload") { request, context in
            let (id, file) = try await upload(request)
            let (fileId, md5) = try await service.upload(
                to: id, name: file.filename, mediaType: nil, bytes: file.body, by: try principal(context))
            return Self.answer(.uploaded(reportId: Int(id), fileId: fileId, md5: md5))
        }
        routes.on(.post, "fileinfo", "cybertiplineFileInfo") { request, context in
            let xml = try await body(request, limit: Self.maxXMLBytes)
            let id = try await service.fileInfo(xml: xml, by: try principal(context))
            return Self.answer(.fileInfoSaved(reportId: Int(id)))
        }
        routes.on(.post, "finish", "cybertiplineFinish") { request, context in
            let id = try await formId(request)
            do {
                let (_, fileIds) = try await service.finish(id, by: try principal(context))
                return Self.answer(CyberTiplineDoneResponse.finished(reportId: Int(id), fileIds: fileIds))
            } catch let error as CyberTiplineError {
                return Self.answer(CyberTiplineDoneResponse.refusal(error, reportId: Int(id)), code: error.responseCode)
            }
        }
        routes.on(.post, "retract", "cybertiplineRetract") { request, context in
            let id = try await formId(request)
            try await service.retract(id, by: try principal(context))
            return Self.answer(.retracted(reportId: Int(id)))
        }
    }

    func principal(_ context: VigilRequestContext) throws -> Principal {
        guard let principal = context.principal else { throw APIError.unauthorized }
        return principal
    }

    func body(_ request: Request, limit: Int) async throws -> [UInt8] {
        do {
            return Array(try await request.body.collect(upTo: limit).readableBytesView)
        } catch {
            throw CyberTiplineError(.tooLarge, "the document is over \(limit) bytes")
        }
    }

    /// `/upload`'s multipart form: the report id (`id`) and one `file`.
    func upload(_ request: Request) async throws -> (Int64, MultipartPart) {
        guard let type = request.headers[.contentType], let boundary = MultipartForm.boundary(contentType: type) else {
            throw CyberTiplineError(.invalidRequest, "an upload is multipart/form-data with the fields id and file")
        }
        let bytes: ByteBuffer
        do {
            bytes = try await request.body.collect(upTo: node.settings.maxBodyBytes)
        } catch {
            throw CyberTiplineError(.invalidRequest, "the upload is over \(node.settings.maxBodyBytes) bytes (http.max-body-bytes)")
        }
        guard let parts = MultipartForm.parse(Array(bytes.readableBytesView), boundary: boundary) else {
            throw CyberTiplineError(.invalidRequest, "the multipart/form-data body is not well formed")
        }
        let files = parts.filter { $0.name == "file" }
        guard let idPart = parts.first(where: { $0.name == "id" }), let id = Int64(String(decoding: idPart.body, as: UTF8.self)), id > 0
        else {
            throw CyberTiplineError(.invalidRequest, "the field id (the report's id) is missing or not a whole number from 1")
        }
        guard files.count == 1, let file = files.first else {
            throw CyberTiplineError(.invalidRequest, "an upload carries one field file; this one has \(files.count)")
        }
        return (id, file)
    }

    /// The report id of `/finish` and `/retract`: the form field `id` (urlencoded or multipart), or the query's.
    func formId(_ request: Request) async throws -> Int64 {
        var text = request.uri.queryParameters.get("id")
        if text == nil {
            let bytes = try await body(request, limit: 64 << 10)
            if let type = request.headers[.contentType], let boundary = MultipartForm.boundary(contentType: type) {
                text = MultipartForm.parse(bytes, boundary: boundary)?.first { $0.name == "id" }.map { String(decoding: $0.body, as: UTF8.self) }
            } else {
                for pair in String(decoding: bytes, as: UTF8.self).split(separator: "&") {
                    let fields = pair.split(separator: "=", maxSplits: 1)
                    if fields.count == 2, fields[0] == "id" { text = String(fields[1]).removingPercentEncoding }
                }
            }
        }
        guard let text, let id = Int64(text.trimmingCharacters(in: .whitespaces)), id > 0 else {
            throw CyberTiplineError(.invalidRequest, "the form field id (the report's id) is missing or not a whole number from 1")
        }
        return id
    }

    static func answer(_ response: CyberTiplineResponse) -> Response {
        xml(response.xml, status: httpStatus(response.code))
    }

    static func answer(_ response: CyberTiplineDoneResponse, code: CyberTiplineResponseCode = .success) -> Response {
        xml(response.xml, status: httpStatus(code))
    }

    static func xml(_ text: String, status: HTTPResponse.Status) -> Response {
        Response(
            status: status, headers: [.contentType: "application/xml; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// The HTTP status of a response code.
    static func httpStatus(_ code: CyberTiplineResponseCode) -> HTTPResponse.Status {
        switch code.rawValue {
        case 0: .ok
        case 2000: .unauthorized
        case 3000..<4000: .forbidden
        case 4000..<5000: .badRequest
        case 5001, 5002: .notFound
        case 5100..<5200: .conflict
        default: .internalServerError
        }
    }
}

/// Turns every refusal under `/ispws` into NCMEC's answers: a 401 with an empty body and a Basic
/// challenge for missing or wrong credentials, the XML `<reportResponse>` with the response code
/// for everything else; and adds a `Request-ID` header to every answer.
struct CyberTiplineAnswers: RouterMiddleware {
    typealias Context = VigilRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as CyberTiplineError {
            response = CyberTiplineController.answer(.refusal(error))
        } catch let error as APIError where error.status == .unauthorized {
            response = Response(status: .unauthorized, headers: [.wwwAuthenticate: "Basic realm=\"ispws\""])
        } catch let error as APIError where error.status == .forbidden {
            response = CyberTiplineController.answer(CyberTiplineResponse(code: .notAuthorizedForSubmissions, description: error.message))
        } catch let error as StoreError {
            let busy = error.code == .busy || error.code == .unavailable || error.code == .diskFull
            response = CyberTiplineController.xml(
                CyberTiplineResponse(code: .serverError, description: "the Centre could not save this now: try again").xml,
                status: error.code == .diskFull ? ErrorMap.insufficientStorage : busy ? .serviceUnavailable : .internalServerError)
            if busy { response.headers[.retryAfter] = "1" }
        } catch let error as CentreError {
            let code: CyberTiplineResponseCode = error.code == .incompleteReport ? .validationFailed : .invalidRequest
            let problems = error.problems.map(\.description).joined(separator: "; ")
            response = CyberTiplineController.answer(
                CyberTiplineResponse(code: code, description: error.message + (problems.isEmpty ? "" : ": " + problems)))
        } catch let error as APIError {
            response = CyberTiplineController.xml(
                CyberTiplineResponse(code: error.status.code >= 500 ? .serverError : .invalidRequest, description: error.message).xml,
                status: error.status)
        }
        if let name = HTTPField.Name("Request-ID") { response.headers[name] = UUID().uuidString.lowercased() }
        return response
    }
}
