import Foundation
import Testing
import VigilTestSupport

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Two real processes on loopback: a provider node matches a benign sample against its list, the
/// provider files a signed report built from the match with a Centre node (`vigil reports file`),
/// an analyst forwards it, a supervisor approves, the competent police and Europol read it and
/// other police cannot, the police post an outcome and a hold, and the provider sees both. Then the
/// provider node's own action policy files the next match (completed with the uploader's details),
/// its filing worker sends it, and the node shows the Centre's outcome and hold.
@Suite("Provider node and Centre, two processes", .serialized)
struct CentreWalkthroughTests {
    static func vigil(_ arguments: [String], environment: [String: String] = [:]) throws -> HashCommandTests.Run {
        try HashCommandTests.vigil(arguments, environment: environment)
    }

    /// A server process, stopped at the end of the test.
    final class Server {
        let process = Process()
        let output = Pipe()

        init(_ arguments: [String], environment: [String: String] = [:]) throws {
            process.executableURL = URL(fileURLWithPath: HashCommandTests.binary)
            process.arguments = arguments
            if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new } }
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
        }

        func stop() {
            process.terminate()
            process.waitUntilExit()
        }
    }

    /// One HTTP exchange: the status and the JSON body.
    static func call(_ method: String, _ url: String, key: String, body: Any? = nil) async throws -> (Int, [String: Any]) {
        var request = URLRequest(url: try #require(URL(string: url)))
        request.httpMethod = method
        request.setValue("Bearer " + key, forHTTPHeaderField: "Authorization")
        if let body {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = try JSONSerialization.data(withJSONObject: body)
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        return (status, (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:])
    }

    /// Asks `check` again every 200 ms (at most `attempts` times) until it answers a value: the
    /// one wait of this test, for what another process does on its own (a node becoming ready, a
    /// worker's round). Records an issue naming `what` and returns nil when it never answers.
    static func eventually<T>(_ what: String, attempts: Int = 150, _ check: () async throws -> T?) async throws -> T? {
        for attempt in 0..<attempts {
            if let value = try await check() { return value }
            if attempt + 1 < attempts { try await Task.sleep(for: .milliseconds(200)) }
        }
        Issue.record("\(what) never happened")
        return nil
    }

    /// Waits (bounded) until `url` answers 200.
    static func waitForReady(_ url: String) async throws {
        let address = try #require(URL(string: url))
        _ = try await eventually("\(url) answering 200") { () async -> Bool? in
            guard let (_, response) = try? await URLSession.shared.data(from: address) else { return nil }
            return (response as? HTTPURLResponse)?.statusCode == 200 ? true : nil
        }
    }

    @Test(.timeLimit(.minutes(3))) func aMatchBecomesAReferralToTheRightPolice() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-walkthrough-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let providerData = root.appendingPathComponent("provider").path
        let centreData = root.appendingPathComponent("centre").path
        let base = 20_000 + Int(ProcessInfo.processInfo.processIdentifier % 15_000)
        let providerPort = base + 1
        let centrePort = base + 2

        // The Centre's organisations and keys (the CLI, before the node starts).
        func org(_ name: String, _ kind: String, _ state: String? = nil) throws {
            var arguments = ["orgs", "create", name, "--kind", kind, "--data-directory", centreData]
            if let state { arguments += ["--member-state", state] }
            let run = try Self.vigil(arguments)
            #expect(run.status == 0, "\(run.stderr)")
        }
        func key(_ name: String, _ scopes: String) throws -> String {
            let run = try Self.vigil(["keys", "create", "--org", name, "--scopes", scopes, "--data-directory", centreData])
            #expect(run.status == 0, "\(run.stderr)")
            return run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        try org("Example Hosting", "provider")
        try org("Centre", "centre")
        try org("Polizei DE", "police", "DE")
        try org("Police FR", "police", "FR")
        try org("Europol", "europol")
        let providerKey = try key("Example Hosting", "report")
        let analyst = try key("Centre", "assess")
        let supervisor = try key("Centre", "supervise")
        let policeDE = try key("Polizei DE", "referrals")
        let policeFR = try key("Police FR", "referrals")
        let europol = try key("Europol", "referrals")
        let keyFile = root.appendingPathComponent("provider.key").path
        let keygen = try Self.vigil(["reports", "keygen", "--out", keyFile])
        let publicKey = try #require(keygen.stdout.split(separator: "\n").first { $0.hasPrefix("public key: ") }?.dropFirst(12))
        let registered = try Self.vigil([
            "reports", "register-key", "--org", "Example Hosting", "--public-key", String(publicKey), "--data-directory", centreData,
        ])
        #expect(registered.status == 0, "\(registered.stderr)")

        // The provider node's own keys: lists and action policies (curate), its filings (report).
        let providerNodeKey = try {
            let run = try Self.vigil([
                "keys", "create", "--organisation", "Example Hosting", "--scopes", "curate,report", "--data-directory", providerData,
            ])
            #expect(run.status == 0, "\(run.stderr)")
            return run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }()

        // The two nodes; the provider node files its policies' reports with the Centre.
        let provider = try Server(
            [
                "serve", "--data-directory", providerData, "--port", String(providerPort), "--sample",
                TestPaths.fixture("reference/images/pdq-data/bridge-mods"),
            ],
            environment: [
                "VIGIL_FILING_CENTRE_URL": "http://127.0.0.1:\(centrePort)", "VIGIL_FILING_API_KEY": providerKey,
                "VIGIL_FILING_SIGNING_KEY_FILE": keyFile, "VIGIL_FILING_PROVIDER_NAME": "Example Hosting",
                "VIGIL_FILING_PROVIDER_CONTACT": "abuse@example.com", "VIGIL_FILING_ESTABLISHMENT": "IE",
                "VIGIL_FILING_LEGAL_BASIS": "Regulation (EU) 2021/1232", "VIGIL_FILING_INTERVAL_SECONDS": "0.2",
                "VIGIL_FILING_STATUS_INTERVAL_SECONDS": "1",
            ])
        defer { provider.stop() }
        let centre = try Server(["serve", "--role", "centre", "--data-directory", centreData, "--port", String(centrePort)])
        defer { centre.stop() }
        // The provider node prints a demo key and a curl command that matches one of its samples.
        var text = ""
        let deadline = Date().addingTimeInterval(60)
        while !text.contains("/v1/match/file"), Date() < deadline {
            let chunk = provider.output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        let matchKey = try #require(text.split(separator: " ").first { $0.hasPrefix("vk_") }.map { String($0.prefix(51)) })
        let image = try #require(text.split(separator: "@").last?.split(separator: " ").first.map(String.init))
        try await Self.waitForReady("http://127.0.0.1:\(providerPort)/ready")
        try await Self.waitForReady("http://127.0.0.1:\(centrePort)/ready")

        // 1. The provider node matches the sample.
        var request = URLRequest(url: try #require(URL(string: "http://127.0.0.1:\(providerPort)/v1/match/file")))
        request.httpMethod = "POST"
        request.setValue("Bearer " + matchKey, forHTTPHeaderField: "Authorization")
        request.httpBody = try Data(contentsOf: URL(fileURLWithPath: image))
        let (matchData, _) = try await URLSession.shared.data(for: request)
        let match = try #require(try JSONSerialization.jsonObject(with: matchData) as? [String: Any])
        let matches = try #require(match["matches"] as? [[String: Any]])
        #expect(!matches.isEmpty)
        let query = try #require(match["query"] as? [String: Any])
        let md5 = try #require(query["md5"] as? String)
        let sha256 = try #require(query["sha256"] as? String)
        let pdq = try #require(query["pdq"] as? String)

        // 2. The provider files a report built from the match.
        let report: [String: Any] = [
            "provider_reference": "walkthrough-1",
            "provider": ["name": "Example Hosting", "contact": "abuse@example.com", "establishment": "IE"],
            "reported_at": "2026-01-01T10:00:00Z", "type": "known_material", "removal": "removed", "legal_basis": "Regulation (EU) 2021/1232",
            "files": [
                [
                    "reference": "upload-1", "media_type": "image/jpeg",
                    "hashes": [["algorithm": "md5", "value": md5], ["algorithm": "sha256", "value": sha256], ["algorithm": "pdq", "value": pdq]],
                    "matched_indicators": matches.compactMap { m in (m["list"] as? String).map { "\($0):\(m["entry_id"] ?? "?")" } },
                ]
            ],
            "users": [["role": "suspect", "identifier": "user-42", "account_country": "DE"]],
        ]
        let reportFile = root.appendingPathComponent("report.json")
        try JSONSerialization.data(withJSONObject: report).write(to: reportFile)
        let filed = try Self.vigil(
            ["reports", "file", "--centre", "http://127.0.0.1:\(centrePort)", "--key", keyFile, reportFile.path],
            environment: ["VIGIL_CENTRE_KEY": providerKey])
        #expect(filed.status == 0, "\(filed.stdout) \(filed.stderr)")
        let answer = try #require(try JSONSerialization.jsonObject(with: Data(filed.stdout.utf8)) as? [String: Any])
        let id = try #require(answer["id"] as? Int)
        #expect(answer["state"] as? String == "queued", "the Centre's lists do not hold this sample: a person assesses it")

        // 3. An analyst forwards, a supervisor approves.
        let centreURL = "http://127.0.0.1:\(centrePort)"
        #expect(try await Self.call("POST", "\(centreURL)/v1/reports/\(id)/decision", key: analyst, body: ["decision": "forward"]).0 == 200)
        let (approved, detail) = try await Self.call("POST", "\(centreURL)/v1/reports/\(id)/review", key: supervisor, body: ["approve": true])
        #expect(approved == 200)
        #expect(detail["state"] as? String == "forwarded")

        // 4. The German police and Europol read it; the French police cannot.
        let (_, german) = try await Self.call("GET", "\(centreURL)/v1/referrals?unacknowledged=true", key: policeDE)
        let germanReferrals = german["referrals"] as? [[String: Any]] ?? []
        #expect(germanReferrals.map { $0["recipient"] as? String } == ["DE"])
        let referral = try #require(germanReferrals.first?["id"] as? Int)
        let (read, content) = try await Self.call("GET", "\(centreURL)/v1/referrals/\(referral)", key: policeDE)
        #expect(read == 200)
        #expect((content["content"] as? [String: Any])?["provider_reference"] as? String == "walkthrough-1")
        let (_, french) = try await Self.call("GET", "\(centreURL)/v1/referrals", key: policeFR)
        #expect((french["referrals"] as? [Any])?.isEmpty == true)
        #expect(try await Self.call("GET", "\(centreURL)/v1/referrals/\(referral)", key: policeFR).0 == 404)
        let (_, europolView) = try await Self.call("GET", "\(centreURL)/v1/referrals", key: europol)
        #expect(Set((europolView["referrals"] as? [[String: Any]] ?? []).compactMap { $0["recipient"] as? String }) == ["DE", "IE", "europol"])

        // 5. The police post an outcome and a hold; the provider sees both.
        #expect(
            try await Self.call("POST", "\(centreURL)/v1/referrals/\(referral)/outcome", key: policeDE, body: ["outcome": "investigation_opened"]).0
                == 200)
        let until = ISO8601DateFormatter().string(from: Date().addingTimeInterval(90 * 86_400))
        #expect(
            try await Self.call(
                "PUT", "\(centreURL)/v1/referrals/\(referral)/hold", key: policeDE,
                body: ["do_not_inform": true, "do_not_remove": false, "until": until]
            ).0 == 200)
        let (seen, view) = try await Self.call("GET", "\(centreURL)/v1/reports/\(id)", key: providerKey)
        #expect(seen == 200)
        let german2 = (view["referrals"] as? [[String: Any]] ?? []).first { $0["recipient"] as? String == "DE" }
        #expect(german2?["outcome"] as? String == "investigation_opened")
        #expect((german2?["hold"] as? [String: Any])?["do_not_inform"] as? Bool == true)
        #expect((view["user_notification"] as? [String: Any])?["status"] as? String == "held")

        // 6. The provider node's policy files the next match itself. The lookup of a file carries no
        // uploader, so the filing waits, incomplete, until the provider completes it; the node's
        // filing worker then signs and sends it, and reads back what the Centre and police did.
        let providerURL = "http://127.0.0.1:\(providerPort)"
        #expect(
            try await Self.call("PUT", "\(providerURL)/v1/lists/sample/action", key: providerNodeKey, body: ["action": "block", "file_report": true])
                .0 == 200)
        // The engine reads policies on its next catch-up.
        let filingId = try await Self.eventually("a match answer with a filing", attempts: 50) { () async throws -> Int? in
            let (data, _) = try await URLSession.shared.data(for: request)
            let actions = (try JSONSerialization.jsonObject(with: data) as? [String: Any])?["actions"] as? [[String: Any]] ?? []
            return actions.first?["filing_id"] as? Int
        }
        let filing = try #require(filingId)
        let (_, incomplete) = try await Self.call("GET", "\(providerURL)/v1/filings/\(filing)", key: providerNodeKey)
        #expect(incomplete["state"] as? String == "incomplete")
        let (completed, _) = try await Self.call(
            "POST", "\(providerURL)/v1/filings/\(filing)/complete", key: providerNodeKey,
            body: ["users": [["role": "suspect", "identifier": "user-43", "account_country": "DE"]], "removal": "removed", "content_id": "upload-2"])
        #expect(completed == 200)
        func filingView(until done: ([String: Any]) -> Bool) async throws -> [String: Any] {
            var view: [String: Any] = [:]
            let reached = try await Self.eventually("the filing's next state", attempts: 100) { () async throws -> [String: Any]? in
                view = try await Self.call("GET", "\(providerURL)/v1/filings/\(filing)", key: providerNodeKey).1
                return done(view) ? view : nil
            }
            if reached == nil { Issue.record("the filing as it was last seen: \(view)") }
            return view
        }
        let sent = try await filingView { $0["state"] as? String == "filed" }
        let autoId = try #require(sent["centre_report_id"] as? Int)
        #expect(try await Self.call("POST", "\(centreURL)/v1/reports/\(autoId)/decision", key: analyst, body: ["decision": "forward"]).0 == 200)
        #expect(try await Self.call("POST", "\(centreURL)/v1/reports/\(autoId)/review", key: supervisor, body: ["approve": true]).0 == 200)
        let (_, german3) = try await Self.call("GET", "\(centreURL)/v1/referrals?unacknowledged=true", key: policeDE)
        let autoReferral = try #require(
            (german3["referrals"] as? [[String: Any]] ?? []).first { $0["report_id"] as? Int == autoId }?["id"] as? Int)
        #expect(
            try await Self.call("POST", "\(centreURL)/v1/referrals/\(autoReferral)/outcome", key: policeDE, body: ["outcome": "investigation_opened"])
                .0 == 200)
        #expect(
            try await Self.call(
                "PUT", "\(centreURL)/v1/referrals/\(autoReferral)/hold", key: policeDE,
                body: ["do_not_inform": true, "do_not_remove": true, "until": until]
            ).0 == 200)
        let followed = try await filingView { view in
            let referrals = (view["centre"] as? [String: Any])?["referrals"] as? [[String: Any]] ?? []
            return referrals.contains { $0["outcome"] as? String == "investigation_opened" && $0["hold"] != nil }
        }
        #expect((followed["centre"] as? [String: Any])?["state"] as? String == "forwarded")
        #expect(followed["must_not_remove"] as? Bool == true)
        #expect((followed["user_notification"] as? [String: Any])?["status"] as? String == "held")

        // 7. Every step is on the Centre's audit chain, and the chain verifies.
        let verify = try Self.vigil(["audit", "verify", "--data-directory", centreData])
        #expect(verify.status == 0, "\(verify.stdout) \(verify.stderr)")
        #expect(verify.stdout.hasPrefix("valid: "))
        let tail = try Self.vigil(["audit", "tail", "--count", "200", "--data-directory", centreData])
        for action in [
            "signing_key.register", "report.file", "report.decide", "report.approve", "report.refer", "referral.read", "referral.outcome",
            "referral.hold",
        ] {
            #expect(tail.stdout.contains("\t\(action)\t"), "\(action) is on the chain")
        }
    }
}
