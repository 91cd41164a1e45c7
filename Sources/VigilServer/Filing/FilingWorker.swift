public import AsyncHTTPClient
import Foundation
public import Logging
import Metrics
import NIOCore
import NIOHTTP1
public import ServiceLifecycle
import VigilCentre
public import VigilDomain
public import VigilMatching
public import VigilStore

/// Files the reports a provider node's action policies recorded, and follows them: signs each
/// queued filing with the provider's key and posts it to the Centre's `POST /v1/reports`, with
/// retries and exponential backoff, then reads each filed report's status
/// (`GET /v1/reports/{id}`) again every `statusIntervalSeconds`.
///
/// Filings are read from the database, so a restart resumes where it stopped, and a filing is
/// marked filed only once the Centre answered with its id. A resend after a lost answer is safe:
/// the report keeps its `provider_reference`, and the Centre answers a second report under it with
/// 409 `report_exists` and the first one's address (`Location`), which counts as filed.
///
/// What an answer means:
/// - 201: filed. 409 `report_exists` with a `Location`: filed earlier.
/// - No answer, 5xx, 401, 403, 404, 408, 429, 422 `unknown_signing_key`: tried again later (the
///   Centre is down or busy, or the provider's key or signing key is not set up there yet); after
///   `maxAttempts` the filing is failed.
/// - Any other 4xx (an incomplete report, a bad signature, a file too large): rejected, with the
///   Centre's answer kept as the reason.
///
/// A round that fails to read or write the store is logged, counted
/// (`vigil_filing_round_failures_total`) and recorded in the node's ``WorkerHealth`` (`/ready`).
public struct FilingWorker: Service {
    let store: any FilingStore
    let settings: FilingSettings
    let client: HTTPClient
    let clock: any WallClock
    let health: WorkerHealth
    let logger: Logger
    let failedRounds = Counter(label: "vigil_filing_round_failures_total")
    let failedAttempts = Counter(label: "vigil_filing_attempt_failures_total")
    let failedChecks = Counter(label: "vigil_filing_status_failures_total")

    /// A worker filing with the Centre `settings` names.
    public init(
        store: any FilingStore, settings: FilingSettings, health: WorkerHealth, client: HTTPClient = .shared, clock: any WallClock = SystemClock(),
        logger: Logger = Logger(label: "vigil.filing")
    ) {
        self.store = store
        self.settings = settings
        self.health = health
        self.client = client
        self.clock = clock
        self.logger = logger
    }

    /// The time one request may take.
    var timeout: TimeAmount { .milliseconds(Int64(settings.requestTimeoutSeconds * 1_000)) }

    /// The Centre's address for `path`.
    func url(_ path: String) -> String {
        var base = settings.centreURL
        while base.hasSuffix("/") { base.removeLast() }
        return base + path
    }

    /// Sends the filings that are due once; returns how many the Centre now holds.
    @discardableResult
    public func sendDue() async throws(StoreError) -> Int {
        var filed = 0
        for filing in try await store.dueFilings(now: clock.now(), limit: 50) {
            let (attempt, status) = await send(filing)
            let stored = try await store.recordAttempt(filingId: filing.id, attempt)
            // The 201 answer says where the report is already (an automatic referral of known material).
            if let status { try await store.recordCentreStatus(filingId: filing.id, status) }
            switch attempt {
            case .filed(let id):
                filed += 1
                logger.info("report filed with the Centre", metadata: ["filing": "\(filing.id)", "centre-report": "\(id)"])
            case .retry(let error, let at):
                failedAttempts.increment()
                logger.warning(
                    "filing a report failed",
                    metadata: [
                        "filing": "\(filing.id)", "attempt": "\(stored.attempts)", "error": "\(error)",
                        "retry": "\(at.map(\.rfc3339) ?? "no: given up")",
                    ])
            case .rejected(let error):
                failedAttempts.increment()
                logger.error("the Centre refused a report", metadata: ["filing": "\(filing.id)", "error": "\(error)"])
            }
            // The Centre is down: the other due filings wait for the next round rather than each wait out the timeout.
            if case .retry(let error, _) = attempt, error.hasPrefix(Self.unreachable) { break }
        }
        return filed
    }

    /// How a failed attempt's error starts when no answer came.
    static let unreachable = "the Centre could not be reached"

    /// One attempt to file `filing`, with the report's status when the Centre's answer gave it.
    func send(_ filing: StoredFiling) async -> (FilingAttempt, CentreReportStatus?) {
        let retryAt: Date? = {
            let attempts = filing.attempts + 1
            guard attempts < settings.maxAttempts else { return nil }
            return clock.now().addingTimeInterval(min(3_600, settings.baseDelaySeconds * pow(2, Double(attempts - 1))))
        }()
        let body: [UInt8]
        do {
            body = Array(try ReportCoding.encoder().encode(try settings.signer.sign(filing.report)))
        } catch {
            return (.rejected(error: "the report could not be signed: \(error)"), nil)
        }
        var request = HTTPClientRequest(url: url("/v1/reports"))
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(settings.apiKey)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: body))
        let status: UInt
        let answer: ByteBuffer
        let location: String?
        do {
            let response = try await client.execute(request, timeout: timeout)
            status = response.status.code
            location = response.headers.first(name: "Location")
            answer = try await response.body.collect(upTo: 1 << 20)
        } catch {
            return (.retry(error: "\(Self.unreachable): \(error)", at: retryAt), nil)
        }
        let text = String(buffer: answer).prefix(2_000)
        switch status {
        case 201:
            return filed(Data(answer.readableBytesView), text: text, filing: filing, retryAt: retryAt)
        case 409:
            if let location, let id = Int64(location.split(separator: "/").last ?? "") { return (.filed(centreReportId: id), nil) }
            return (.rejected(error: "HTTP 409: \(text)"), nil)
        case 401, 403, 404, 408, 429, 500...599:
            return (.retry(error: "HTTP \(status): \(text)", at: retryAt), nil)
        case 422 where Self.errorCode(Data(answer.readableBytesView)) == "unknown_signing_key":
            // The provider's public key is not registered (yet): the Centre's set-up, not the report.
            return (.retry(error: "HTTP 422: \(text)", at: retryAt), nil)
        default:
            return (.rejected(error: "HTTP \(status): \(text)"), nil)
        }
    }

    /// The outcome of a 201: filed with the Centre's report id, and the report's status when the
    /// answer could be read as one. A 201 without an id is retried (the Centre's 409 with
    /// `Location` then names the report); a status that cannot be read is logged and counted, and
    /// read again by the next status round.
    func filed(_ bytes: Data, text: Substring, filing: StoredFiling, retryAt: Date?) -> (FilingAttempt, CentreReportStatus?) {
        let filed: FiledAnswer
        do {
            filed = try JSONDecoder().decode(FiledAnswer.self, from: bytes)
        } catch {
            return (.retry(error: "the Centre answered 201 without a report id (\(error)): \(text)", at: retryAt), nil)
        }
        do {
            return (.filed(centreReportId: filed.id), try JSONDecoder().decode(CentreReportStatus.self, from: bytes))
        } catch {
            failedChecks.increment()
            logger.warning(
                "the Centre's answer to a filing did not read as a report status (read again later)",
                metadata: ["filing": "\(filing.id)", "error": "\(error)"])
            return (.filed(centreReportId: filed.id), nil)
        }
    }

    /// The `error.code` of a Centre's error answer, or nil when the answer is not one.
    static func errorCode(_ bytes: Data) -> String? {
        guard let answer = try? JSONDecoder().decode(ErrorAnswer.self, from: bytes) else { return nil }
        return answer.error.code
    }

    /// Reads again the status of filed reports not read for `statusIntervalSeconds`; returns how
    /// many were read. A Centre that cannot be reached is logged and counted, and asked again next round.
    @discardableResult
    public func checkStatuses() async throws(StoreError) -> Int {
        let before = clock.now().addingTimeInterval(-settings.statusIntervalSeconds)
        var checked = 0
        for filing in try await store.filingsToCheck(before: before, limit: 50) {
            guard let id = filing.centreReportId else { continue }
            var request = HTTPClientRequest(url: url("/v1/reports/\(id)"))
            request.headers.add(name: "Authorization", value: "Bearer \(settings.apiKey)")
            request.headers.add(name: "Accept", value: "application/json")
            let status: CentreReportStatus
            do {
                let response = try await client.execute(request, timeout: timeout)
                let body = try await response.body.collect(upTo: 8 << 20)
                guard response.status.code == 200 else {
                    throw FilingStatusError(message: "HTTP \(response.status.code): \(String(buffer: body).prefix(500))")
                }
                status = try JSONDecoder().decode(CentreReportStatus.self, from: Data(body.readableBytesView))
            } catch {
                failedChecks.increment()
                logger.warning("reading a filed report's status failed", metadata: ["filing": "\(filing.id)", "error": "\(error)"])
                continue
            }
            try await store.recordCentreStatus(filingId: filing.id, status)
            checked += 1
        }
        return checked
    }

    /// One round: send what is due, then read statuses; a store failure is logged, counted and recorded.
    public func round() async {
        do {
            try await sendDue()
            try await checkStatuses()
            health.succeeded(at: clock.now())
        } catch {
            failedRounds.increment()
            health.failed(error, at: clock.now())
            logger.error("filing round failed (retried next round)", metadata: ["error": "\(error)"])
        }
    }

    /// Files and follows until graceful shutdown.
    public func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                while !Task.isCancelled {
                    await round()
                    try await Task.sleep(for: .milliseconds(Int64(settings.intervalSeconds * 1_000)))
                }
            }
        } catch is CancellationError {
            // Queued filings stay in the database for the next start.
        }
    }
}

/// The part of the Centre's 201 answer the worker reads.
struct FiledAnswer: Decodable {
    let id: Int64
}

/// The part of the Centre's error answers the worker reads.
struct ErrorAnswer: Decodable {
    struct Detail: Decodable {
        let code: String
    }
    let error: Detail
}

/// A status read that did not give a status.
struct FilingStatusError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
