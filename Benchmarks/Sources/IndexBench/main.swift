// IndexBench: builds a VigilIndex HammingIndex over a Benchmarks/index dataset and measures it.
//
//   IndexBench DATASET [--radius 31] [--out DIR] [--substrings M] [--tuning compact|speed] [--linear-queries 1000]
//              [--queries N] [--keep-snapshot]
//
// DATASET holds base.bin and queries.bin (32 bytes per hash: four little-endian UInt64 words,
// word 0 = bits 0..63, i.e. SIMD4<UInt64> in memory), as written by Benchmarks/index/gen.py.
// Steps, each timed:
//   1. read base.bin and queries.bin; ids = base positions (UInt64)
//   2. build the index (default configuration, or --substrings M for .multiIndex(substrings: M))
//   3. write a snapshot file to DIR and free the built index; load the snapshot back
//   4. search every query (or the first --queries N) at --radius on one thread with the loaded index
//   5. write DIR/vigil-results.tsv (query TAB sorted comma-separated base indices)
//   6. free the index; build a .linearScan index and search the first --linear-queries queries:
//      every result set must equal the index's (an in-process exactness check)
// Memory: memoryFootprint (the index's own count of its bytes) and the process RSS growth
// (/proc/self/statm) across the build and across the load, per hash. The last stdout line is one
// JSON object with every metric; progress goes to stderr.

import VigilIndex

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - Small utilities

/// Writes to file descriptor 2 (the C `stderr` global is not concurrency-safe in Swift 6).
func writeError(_ text: String) {
    var text = text
    text.withUTF8 { bytes in _ = write(2, bytes.baseAddress, bytes.count) }
}

func fail(_ message: String) -> Never {
    writeError("IndexBench: \(message)\n")
    exit(1)
}

func log(_ message: String) {
    writeError("[IndexBench] \(message)\n")
}

let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

/// Resident set size in bytes, from /proc/self/statm (0 where there is no /proc).
func residentBytes() -> Int {
    guard let line = firstLine(of: "/proc/self/statm") else { return 0 }
    let fields = line.split(separator: " ")
    guard fields.count >= 2, let pages = Int(fields[1]) else { return 0 }
    return pages * pageSize
}

func firstLine(of path: String, where predicate: (String) -> Bool = { _ in true }) -> String? {
    guard let file = fopen(path, "r") else { return nil }
    defer { fclose(file) }
    var buffer = [CChar](repeating: 0, count: 512)
    while fgets(&buffer, Int32(buffer.count), file) != nil {
        let line = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if predicate(line) { return line }
    }
    return nil
}

/// Peak resident set size in bytes (VmHWM in /proc/self/status; 0 where unavailable).
func peakResidentBytes() -> Int {
    guard let line = firstLine(of: "/proc/self/status", where: { $0.hasPrefix("VmHWM:") }) else { return 0 }
    let kib = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first.flatMap { Int($0) } ?? 0
    return kib * 1024
}

func fileSize(_ path: String) -> Int {
    var status = stat()
    guard stat(path, &status) == 0 else { return -1 }
    return Int(status.st_size)
}

/// Reads a whole file of 32-byte hashes into an array (one bulk read, no per-hash work).
func readHashes(_ path: String) -> [SIMD4<UInt64>] {
    let size = fileSize(path)
    guard size >= 0 else { fail("cannot stat \(path); generate the dataset with Benchmarks/index/gen.py") }
    guard size % 32 == 0 else { fail("\(path) is \(size) bytes, not a multiple of 32") }
    let count = size / 32
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { fail("cannot open \(path): \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    let hashes = [SIMD4<UInt64>](unsafeUninitializedCapacity: count) { buffer, initialized in
        let raw = UnsafeMutableRawPointer(buffer.baseAddress!)
        var filled = 0
        while filled < size {
            let n = read(fd, raw + filled, min(size - filled, 1 << 28))
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { fail("short read on \(path) at byte \(filled)") }
            filled += n
        }
        initialized = count
    }
    #if _endian(big)
    return hashes.map { SIMD4($0[0].byteSwapped, $0[1].byteSwapped, $0[2].byteSwapped, $0[3].byteSwapped) }
    #else
    return hashes
    #endif
}

let clock = ContinuousClock()
func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
}
func measure<T>(_ body: () throws -> T) rethrows -> (T, Double) {
    let start = clock.now
    let value = try body()
    return (value, seconds(clock.now - start))
}

func rounded(_ x: Double, _ places: Int = 3) -> Double {
    let scale = pow(10.0, Double(places))
    return (x * scale).rounded() / scale
}

/// Minimal JSON for flat metrics (numbers, strings, bools, null).
enum JSONValue {
    case int(Int)
    case double(Double)
    case string(String)
    case bool(Bool)
    case null
    var text: String {
        switch self {
        case .int(let v): String(v)
        case .double(let v): v.isFinite ? String(v) : "null"
        case .string(let v): "\"" + v.replacingAll("\\", "\\\\").replacingAll("\"", "\\\"") + "\""
        case .bool(let v): v ? "true" : "false"
        case .null: "null"
        }
    }
}

extension String {
    func replacingAll(_ target: Character, _ replacement: String) -> String {
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}

// MARK: - Arguments

struct Options {
    var dataset = ""
    var radius = 31
    var out: String?
    var substrings: Int?
    var tuning: IndexTuning = .compact
    var linearQueries = 1000
    var queryLimit: Int?
    var keepSnapshot = false
}

func parseOptions() -> Options {
    var options = Options()
    var args = CommandLine.arguments.dropFirst()
    func value(_ name: String) -> String {
        guard let v = args.popFirst() else { fail("\(name) needs a value") }
        return v
    }
    func int(_ name: String) -> Int {
        let text = value(name)
        guard let v = Int(text) else { fail("\(name) needs an integer, got \(text)") }
        return v
    }
    while let arg = args.popFirst() {
        switch arg {
        case "--radius": options.radius = int(arg)
        case "--out": options.out = value(arg)
        case "--substrings": options.substrings = int(arg)
        case "--tuning":
            switch value(arg) {
            case "compact": options.tuning = .compact
            case "speed": options.tuning = .speed
            default: fail("--tuning takes compact or speed")
            }
        case "--linear-queries": options.linearQueries = int(arg)
        case "--queries": options.queryLimit = int(arg)
        case "--keep-snapshot": options.keepSnapshot = true
        case "-h", "--help":
            print(
                "usage: IndexBench DATASET [--radius 31] [--out DIR] [--substrings M] [--tuning compact|speed] [--linear-queries 1000] [--queries N] [--keep-snapshot]"
            )
            exit(0)
        default:
            if arg.hasPrefix("-") || !options.dataset.isEmpty { fail("unexpected argument \(arg); see --help") }
            options.dataset = arg
        }
    }
    if options.dataset.isEmpty { fail("usage: IndexBench DATASET [--radius 31] [--out DIR]; see --help") }
    return options
}

// MARK: - Benchmark

func resultLines(_ results: [[UInt64]], into path: String) {
    guard let file = fopen(path, "w") else { fail("cannot write \(path): \(String(cString: strerror(errno)))") }
    defer { fclose(file) }
    for (q, ids) in results.enumerated() {
        var line = String(q) + "\t"
        line += ids.map(String.init).joined(separator: ",")
        line += "\n"
        fputs(line, file)
    }
}

func run() {
    let options = parseOptions()
    let out = options.out ?? options.dataset
    mkdir(out, 0o755)
    var metrics: [(String, JSONValue)] = []
    func record(_ key: String, _ value: JSONValue) {
        metrics.append((key, value))
    }

    let rssStart = residentBytes()
    let (hashes, readBase) = measure { readHashes(options.dataset + "/base.bin") }
    var queries = readHashes(options.dataset + "/queries.bin")
    if let limit = options.queryLimit { queries = Array(queries.prefix(limit)) }
    let ids = (0..<UInt64(hashes.count)).map { $0 }
    let n = hashes.count
    guard n > 0 else { fail("the dataset is empty") }
    log("N=\(n), \(queries.count) queries, radius \(options.radius); read base in \(rounded(readBase, 2)) s")
    record("dataset", .string(options.dataset))
    record("n", .int(n))
    record("queries", .int(queries.count))
    record("radius", .int(options.radius))
    record("read_s", .double(rounded(readBase)))

    let configuration: IndexConfiguration = options.substrings.map { .multiIndex(substrings: $0) } ?? .automatic
    record("configuration", .string(options.substrings.map { "multiIndex(substrings: \($0))" } ?? "automatic"))
    record("tuning", .string(options.tuning == .speed ? "speed" : "compact"))

    // 1. Build.
    let snapshot = out + "/vigil-index.snapshot"
    do {
        let rssBefore = residentBytes()
        let (built, buildSeconds) = measure { () -> HammingIndex in
            do { return try HammingIndex(hashes: hashes, ids: ids, configuration: configuration, tuning: options.tuning) } catch {
                fail("build: \(error)")
            }
        }
        let rssAfter = residentBytes()
        log(
            "built in \(rounded(buildSeconds, 2)) s: \(built.substringCount) substrings, memoryFootprint \(built.memoryFootprint) B (\(rounded(Double(built.memoryFootprint) / Double(n), 1)) B/hash), RSS +\(rounded(Double(rssAfter - rssBefore) / Double(n), 1)) B/hash"
        )
        record("build_s", .double(rounded(buildSeconds)))
        record("substrings", .int(built.substringCount))
        record("memory_footprint_bytes", .int(built.memoryFootprint))
        record("bytes_per_hash", .double(rounded(Double(built.memoryFootprint) / Double(n), 1)))
        record("build_rss_delta_bytes_per_hash", .double(rounded(Double(rssAfter - rssBefore) / Double(n), 1)))
        record("build_peak_rss_bytes", .int(peakResidentBytes()))

        // 2. Snapshot.
        let ((), writeSeconds) = measure {
            do { try built.write(toFile: snapshot) } catch { fail("write snapshot: \(error)") }
        }
        record("write_s", .double(rounded(writeSeconds)))
        record("snapshot_bytes", .int(fileSize(snapshot)))
        log("snapshot \(fileSize(snapshot)) B written in \(rounded(writeSeconds, 2)) s")
    }

    // 3. Load (the built index is gone: the searches below use the loaded one).
    let rssBeforeLoad = residentBytes()
    let (index, loadSeconds) = measure { () -> HammingIndex in
        do { return try HammingIndex.load(fromFile: snapshot) } catch { fail("load snapshot: \(error)") }
    }
    let rssLoad = residentBytes() - rssBeforeLoad
    record("load_s", .double(rounded(loadSeconds)))
    record("load_rss_delta_bytes_per_hash", .double(rounded(Double(rssLoad) / Double(n), 1)))
    guard index.count == n else { fail("the loaded index has \(index.count) entries, not \(n)") }
    log("loaded in \(rounded(loadSeconds, 2)) s, RSS +\(rounded(Double(rssLoad) / Double(n), 1)) B/hash")
    if !options.keepSnapshot { unlink(snapshot) }

    // 4. Search.
    var matches = [[IndexMatch]](repeating: [], count: queries.count)
    let ((), searchSeconds) = measure {
        for (q, query) in queries.enumerated() {
            do { matches[q] = try index.search(query, radius: options.radius) } catch { fail("search: \(error)") }
        }
    }
    // Warm-up is deliberately absent: the first queries pay the page faults of a freshly loaded
    // index, as a service would. Re-run with a second pass for steady state.
    let ((), searchSeconds2) = measure {
        for query in queries.prefix(2000) {
            do { _ = try index.search(query, radius: options.radius) } catch { fail("search: \(error)") }
        }
    }
    let pairs = matches.reduce(0) { $0 + $1.count }
    var badDistances = 0
    for (q, found) in matches.enumerated() {
        for m in found {
            let d = hammingDistance(queries[q], hashes[Int(m.id)])
            if d != m.distance || d > options.radius { badDistances += 1 }
        }
    }
    let qps = Double(queries.count) / searchSeconds
    let qpsWarm = Double(min(2000, queries.count)) / searchSeconds2
    log(
        "searched \(queries.count) queries in \(rounded(searchSeconds, 2)) s: \(rounded(qps, 0)) q/s (warm repeat of the first \(min(2000, queries.count)): \(rounded(qpsWarm, 0)) q/s); \(pairs) pairs; \(badDistances) bad distances"
    )
    record("search_s", .double(rounded(searchSeconds)))
    record("qps", .double(rounded(qps, 1)))
    record("qps_warm", .double(rounded(qpsWarm, 1)))
    record("pairs", .int(pairs))
    record("bad_distances", .int(badDistances))
    let results = matches.map { $0.map(\.id).sorted() }
    matches = []
    resultLines(results, into: out + "/vigil-results.tsv")

    // 5. In-process exactness check against a linear scan (built after the index is dropped).
    _ = consume index
    let checked = min(options.linearQueries, queries.count)
    var mismatches = 0
    var linearSeconds = 0.0
    if checked > 0 {
        let linear: HammingIndex
        do { linear = try HammingIndex(hashes: hashes, ids: ids, configuration: .linearScan) } catch { fail("linear build: \(error)") }
        var linearResults: [[UInt64]] = []
        linearResults.reserveCapacity(checked)
        ((), linearSeconds) = measure {
            for query in queries.prefix(checked) {
                do { linearResults.append(try linear.search(query, radius: options.radius).map(\.id).sorted()) } catch { fail("search: \(error)") }
            }
        }
        for q in 0..<checked where linearResults[q] != results[q] { mismatches += 1 }
        log(
            "linear scan on \(checked) queries: \(rounded(Double(checked) / linearSeconds, 1)) q/s; \(mismatches) result sets differ from the index's"
        )
    }
    record("linear_check_queries", .int(checked))
    record("linear_check_mismatches", .int(mismatches))
    record("linear_qps", checked > 0 ? .double(rounded(Double(checked) / linearSeconds, 1)) : .null)
    record("peak_rss_bytes", .int(peakResidentBytes()))
    record("rss_start_bytes", .int(rssStart))

    print("{" + metrics.map { "\"\($0.0)\": \($0.1.text)" }.joined(separator: ", ") + "}")
    if mismatches > 0 || badDistances > 0 { exit(2) }
}

run()
