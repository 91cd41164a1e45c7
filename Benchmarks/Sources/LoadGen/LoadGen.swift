// LoadGen: an open-loop, fixed-rate HTTP/1.1 load generator (as wrk2 is; Debian has none).
//
//   LoadGen --port 18099 --rates 5000,10000,20000 --duration 20 --warmup 5 --connections 32 \
//           --method POST --path /v1/match/hash --bearer-env VIGIL_KEY \
//           --body-lines queries.txt --body-template '{"type":"pdq","value":"{line}"}' [--json out.json]
//
// Requests go out on a fixed schedule (request i is due at start + i/rate) over keep-alive
// connections to one host, without pipelining; each latency counts from the request's due time,
// not from when it was actually sent, so a slow server cannot slow the load down and hide its own
// queueing (coordinated omission). Prints one markdown table row per rate; see
// Benchmarks/server/README.md.

import ArgumentParser
import Histogram
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

@main
struct LoadGen: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "LoadGen",
        abstract: "Open-loop, fixed-rate HTTP/1.1 load generator with coordinated-omission-corrected latency.",
        discussion: """
            Sends --rate requests per second (or each of --rates in turn) for --warmup seconds (not \
            recorded) and then --duration seconds (recorded), over --connections keep-alive connections. \
            A request's latency counts from its scheduled send time. Requests unanswered at the end (never \
            sent for want of a free connection, or without a response --drain seconds after the last \
            scheduled send) are counted as late and recorded with their age then, a lower bound.
            """
    )

    @Option(help: "Server address (an IP address or a name).")
    var host = "127.0.0.1"

    @Option(help: "Server port.")
    var port: Int

    @Option(help: "Requests per second.")
    var rate: Double?

    @Option(help: "Comma-separated rates to run one after another (one table row each), e.g. 5000,10000,20000.")
    var rates: String?

    @Option(help: "Measured seconds per rate.")
    var duration: Double = 30

    @Option(help: "Seconds at the rate before measuring.")
    var warmup: Double = 5

    @Option(help: "Seconds to wait for responses after the last scheduled send.")
    var drain: Double = 5

    @Option(help: "Keep-alive connections (spread over the event-loop threads).")
    var connections: Int = 32

    @Option(help: "Event-loop threads (1 is enough for tens of thousands of small requests per second).")
    var threads: Int = 1

    @Option(help: "HTTP method.")
    var method = "GET"

    @Option(help: "Request path (with any query).")
    var path = "/"

    @Option(name: .customLong("header"), help: "A request header, 'Name: value' (repeatable).")
    var headers: [String] = []

    @Option(help: "Send 'Authorization: Bearer <value of this environment variable>'.")
    var bearerEnv: String?

    @Option(help: "Content-Type of a body (default: application/json for --body-lines, application/octet-stream for --body-file).")
    var contentType: String?

    @Option(help: "Bodies: one per line of this file, in turn, each put in --body-template.")
    var bodyLines: String?

    @Option(help: "Template for --body-lines; {line} becomes the line, JSON-escaped.")
    var bodyTemplate = "{line}"

    @Flag(help: "Send each line of --body-lines as the whole body, unescaped (the lines are complete JSON documents).")
    var rawLines = false

    @Option(help: "Body: this file's bytes, the same every request.")
    var bodyFile: String?

    @Option(
        help: ArgumentHelp(
            "Bodies: the records of this file, in turn, sent as they are (binary-safe; e.g. multipart/form-data with --content-type).",
            discussion: "Each record is its length in bytes as decimal digits, a newline, then that many bytes."
        ))
    var bodyRecords: String?

    @Option(help: "Label for the table's first column (default: METHOD path).")
    var label: String?

    @Option(help: "Also write every run as JSON to this file.")
    var json: String?

    @Option(help: "Report this process's CPU use over each measured window too (the server under test).")
    var serverPid: Int32?

    @Option(
        help: ArgumentHelp(
            "Timer granularity in microseconds (0: wake at each request's due time).",
            discussion: "Requests due within a tick go out together at its end: fewer wake-ups, at most one tick added to a latency."
        ))
    var tickUs: Double = 0

    @Option(help: "Seconds to pause between rates.")
    var pause: Double = 2

    @Flag(help: "Do not print the table header.")
    var noHeader = false

    func validate() throws {
        guard (rate == nil) != (rates == nil) else { throw ValidationError("give one of --rate and --rates") }
        guard try parsedRates().allSatisfy({ $0 > 0 && $0.isFinite }) else {
            throw ValidationError("rates must be positive")
        }
        guard duration > 0, warmup >= 0, drain >= 0, pause >= 0, tickUs >= 0, tickUs <= 1_000_000 else {
            throw ValidationError("--duration must be positive; --warmup, --drain, --pause and --tick-us not negative")
        }
        guard threads >= 1, connections >= threads else {
            throw ValidationError("need --threads >= 1 and --connections >= --threads")
        }
        guard [bodyLines, bodyFile, bodyRecords].compactMap({ $0 }).count <= 1 else {
            throw ValidationError("give at most one of --body-lines, --body-file and --body-records")
        }
        guard (1...65535).contains(port) else { throw ValidationError("--port out of range") }
    }

    private func parsedRates() throws -> [Double] {
        if let rate { return [rate] }
        let fields = (rates ?? "").split(separator: ",")
        let values = fields.compactMap { Double($0.trimmingSpaces()) }
        guard !values.isEmpty, values.count == fields.count else {
            throw ValidationError("--rates takes numbers separated by commas")
        }
        return values
    }

    mutating func run() throws {
        let rateList = try parsedRates()
        let requests = try makeTemplate().encode(host: host, port: port)
        let label = self.label ?? "\(method.uppercased()) \(path)"
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        defer { try? group.syncShutdownGracefully() }
        if !noHeader { writeAll(Report.markdownHeader, to: 1) }
        var reports: [Report] = []
        for (index, rate) in rateList.enumerated() {
            if index > 0, pause > 0 { usleep(UInt32(min(pause, 3600) * 1_000_000)) }
            let config = RunConfig(
                host: host, port: port, rate: rate, warmupSeconds: warmup, durationSeconds: duration,
                drainSeconds: drain, connections: connections, requests: requests,
                headRequests: method.uppercased() == "HEAD", serverPID: serverPid,
                tickNanos: UInt64(tickUs * 1000)
            )
            guard config.totalCount > config.warmupCount else {
                throw LoadGenError("rate \(rate) × duration \(duration) s schedules no request")
            }
            let result = try Self.runOnce(config, group: group)
            let report = Report(label: label, config: config, threads: threads, result: result)
            writeAll(report.markdownRow, to: 1)
            for warning in report.warnings { log("\(label) at \(fixed(rate, 0))/s: \(warning)") }
            reports.append(report)
        }
        if let json {
            try writeFile(json, "[\n" + reports.map(\.json).joined(separator: ",\n") + "\n]\n")
        }
    }

    /// The request to send, from the options.
    private func makeTemplate() throws -> RequestTemplate {
        var headerFields: [(name: String, value: String)] = []
        for header in headers {
            guard let colon = header.firstIndex(of: ":") else {
                throw LoadGenError("--header wants 'Name: value', got '\(header)'")
            }
            headerFields.append(
                (
                    String(header[..<colon]).trimmingSpaces(), String(header[header.index(after: colon)...]).trimmingSpaces()
                ))
        }
        if let bearerEnv {
            guard let token = environment(bearerEnv), !token.isEmpty else {
                throw LoadGenError("environment variable \(bearerEnv) (--bearer-env) is not set")
            }
            headerFields.append(("Authorization", "Bearer \(token)"))
        }
        let body: RequestBody
        var defaultType: String?
        if let bodyLines {
            let bytes = try readFile(bodyLines)
            let lines = bytes.split(separator: UInt8(ascii: "\n"))
                .map { String(decoding: $0, as: UTF8.self).trimmingSpaces() }
                .filter { !$0.isEmpty }
            guard !lines.isEmpty else { throw LoadGenError("\(bodyLines) has no lines") }
            body = rawLines ? .lines(lines, template: nil) : .lines(lines, template: bodyTemplate)
            defaultType = "application/json"
        } else if let bodyFile {
            body = .fixed(try readFile(bodyFile))
            defaultType = "application/octet-stream"
        } else if let bodyRecords {
            body = .records(try Self.records(try readFile(bodyRecords), path: bodyRecords))
            defaultType = "application/octet-stream"
        } else {
            body = .none
        }
        let hasContentType = headerFields.contains { $0.name.lowercased() == "content-type" }
        if !hasContentType, let type = contentType ?? defaultType {
            headerFields.append(("Content-Type", type))
        }
        return RequestTemplate(method: method.uppercased(), path: path, headers: headerFields, body: body)
    }

    /// The records of a --body-records file: each is its length in decimal digits, a newline, then
    /// that many bytes.
    static func records(_ bytes: [UInt8], path: String) throws -> [[UInt8]] {
        var records: [[UInt8]] = []
        var index = 0
        while index < bytes.count {
            var length = 0
            var digits = 0
            while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9"), digits < 12 {
                length = length * 10 + Int(bytes[index] - UInt8(ascii: "0"))
                index += 1
                digits += 1
            }
            guard digits > 0, index < bytes.count, bytes[index] == UInt8(ascii: "\n"), bytes.count - index - 1 >= length else {
                throw LoadGenError("\(path): record \(records.count + 1) is not a length, a newline and that many bytes")
            }
            index += 1
            records.append(Array(bytes[index..<(index + length)]))
            index += length
        }
        guard !records.isEmpty else { throw LoadGenError("\(path) has no records") }
        return records
    }

    /// One run at one rate: connects, runs every event loop's share of the schedule from a common
    /// start, and merges what they measured.
    static func runOnce(_ config: RunConfig, group: MultiThreadedEventLoopGroup) throws -> DriverResult {
        let loops = Array(group.makeIterator())
        let lanes = loops.count
        var drivers: [NIOLoopBound<Driver>] = []
        for (lane, loop) in loops.enumerated() {
            let share = config.connections / lanes + (lane < config.connections % lanes ? 1 : 0)
            drivers.append(
                try loop.submit {
                    NIOLoopBound(
                        Driver(loop: loop, config: config, lane: lane, lanes: lanes, connections: share),
                        eventLoop: loop
                    )
                }.wait())
        }
        let pairs = Array(zip(loops, drivers))
        try EventLoopFuture.andAllSucceed(
            pairs.map { loop, driver in loop.flatSubmit { driver.value.connectAll() } }, on: loops[0]
        ).wait()
        let start = NIODeadline.now().uptimeNanoseconds + 20_000_000
        let results = try EventLoopFuture.whenAllSucceed(
            pairs.map { loop, driver in loop.flatSubmit { driver.value.run(startNanos: start) } }, on: loops[0]
        ).wait()
        var merged = DriverResult()
        for result in results { merged.merge(result) }
        return merged
    }
}

/// One rate's figures, as a markdown table row and as JSON.
struct Report {
    static let markdownHeader = """
        | run | rate/s | achieved/s | requests | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | non-2xx | socket errors | late | LoadGen CPU | server CPU |
        |---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|

        """

    var label: String
    var config: RunConfig
    var threads: Int
    var result: DriverResult

    private var windowSeconds: Double { Double(config.totalCount - config.warmupCount) / config.rate }
    private var achieved: Double { Double(result.completionsInWindow) / windowSeconds }
    private var generatorCPUPercent: Double? { result.generatorCPUSeconds.map { $0 / windowSeconds * 100 } }
    private var serverCPUPercent: Double? { result.serverCPUSeconds.map { $0 / windowSeconds * 100 } }

    /// Milliseconds at a percentile (100: the maximum); nil without data.
    private static func milliseconds(_ histogram: Histogram<UInt64>, _ percentile: Double) -> Double? {
        guard histogram.totalCount > 0 else { return nil }
        let micros = percentile >= 100 ? histogram.max : histogram.valueAtPercentile(percentile)
        return Double(micros) / 1000
    }

    var markdownRow: String {
        func ms(_ percentile: Double) -> String {
            Self.milliseconds(result.corrected, percentile).map { fixed($0, 2) } ?? "-"
        }
        let cells = [
            label, fixed(config.rate, 0), fixed(achieved, 0), String(result.scheduled),
            ms(50), ms(90), ms(99), ms(99.9), ms(100),
            String(result.non2xx), String(result.socketErrors), String(result.late),
            generatorCPUPercent.map { fixed($0, 0) + " %" } ?? "-",
            serverCPUPercent.map { fixed($0, 0) + " %" } ?? "-",
        ]
        return "| " + cells.joined(separator: " | ") + " |\n"
    }

    /// Things that make the row doubtful.
    var warnings: [String] {
        var out: [String] = []
        if result.delayedSends * 100 > result.scheduled {
            let tick = config.tickNanos > 0 ? " (past the tick)" : ""
            out.append(
                "\(result.delayedSends) of \(result.scheduled) requests went out over 1 ms late\(tick) "
                    + "(all \(config.connections) connections busy, or LoadGen short of CPU)")
        }
        if result.connectionErrors > 0 { out.append("\(result.connectionErrors) connection errors") }
        if result.completed + result.socketErrors + result.late != result.scheduled {
            out.append(
                "accounting: \(result.completed) completed + \(result.socketErrors) errors + "
                    + "\(result.late) late != \(result.scheduled) scheduled")
        }
        return out
    }

    var json: String {
        func number(_ value: Double?) -> String { value.map { fixed($0, 3) } ?? "null" }
        func latencies(_ histogram: Histogram<UInt64>) -> String {
            let fields = [("p50", 50.0), ("p90", 90), ("p99", 99), ("p99_9", 99.9), ("max", 100)]
                .map { "\"\($0.0)\": \(number(Self.milliseconds(histogram, $0.1)))" }
            let mean = histogram.totalCount > 0 ? histogram.mean / 1000 : nil
            return "{" + (fields + ["\"mean\": \(number(mean))"]).joined(separator: ", ") + "}"
        }
        let statuses = result.statusCounts.sorted { $0.key < $1.key }
            .map { "\"\($0.key)\": \($0.value)" }.joined(separator: ", ")
        let fields = [
            "\"label\": \"\(RequestTemplate.jsonEscaped(label))\"",
            "\"target_rate\": \(number(config.rate))",
            "\"achieved_rate\": \(number(achieved))",
            "\"duration_s\": \(number(windowSeconds))",
            "\"warmup_s\": \(number(config.warmupSeconds))",
            "\"connections\": \(config.connections)",
            "\"threads\": \(threads)",
            "\"tick_us\": \(number(Double(config.tickNanos) / 1000))",
            "\"scheduled\": \(result.scheduled)",
            "\"completed\": \(result.completed)",
            "\"non_2xx\": \(result.non2xx)",
            "\"socket_errors\": \(result.socketErrors)",
            "\"connection_errors\": \(result.connectionErrors)",
            "\"late\": \(result.late)",
            "\"delayed_sends\": \(result.delayedSends)",
            "\"reconnects\": \(result.reconnects)",
            "\"status_counts\": {\(statuses)}",
            "\"latency_ms\": \(latencies(result.corrected))",
            "\"latency_from_send_ms\": \(latencies(result.fromSend))",
            "\"loadgen_cpu_percent\": \(number(generatorCPUPercent))",
            "\"server_cpu_percent\": \(number(serverCPUPercent))",
        ]
        return "  {" + fields.joined(separator: ", ") + "}"
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces, tabs and CRs.
    func trimmingSpaces() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }),
            let last = lastIndex(where: { !isSpace($0) })
        else { return "" }
        return String(self[first...last])
    }
}
