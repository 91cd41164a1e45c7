import Foundation
import Testing
import VigilClassifier
import VigilDomain
import VigilTestSupport

/// ``HTTPClassifier`` against a real HTTP classifier on loopback: scores, the request it sends, the
/// time limit, garbage answers, a refused connection, the circuit breaker with the clock moved by
/// hand, and the concurrency limit.
@Suite("HTTP classifier", .serialized)
struct HTTPClassifierTests {
    static let input = ClassifierInput(
        bytes: Array("benign test bytes".utf8), mediaType: "image/png", sha256: String(repeating: "ab", count: 32),
        md5: String(repeating: "cd", count: 16), pdq: String(repeating: "0f", count: 32))

    static func classifier(_ url: String, clock: any WallClock = ManualClock(), configure: (inout ClassifierSettings) -> Void = { _ in }) throws
        -> HTTPClassifier
    {
        var settings = ClassifierSettings(url: url)
        // Generous: these tests are not about time (the slow ones set their own limits). A loaded
        // machine took over 300 ms for a garbage answer on loopback, and a CI run whose suites all
        // started at once let 5 s run out before the local service answered.
        settings.timeout = .seconds(30)
        configure(&settings)
        return try HTTPClassifier(settings: settings, clock: clock)
    }

    @Test func scoresAreReadAndTheRequestCarriesTheContentAndItsDigests() async throws {
        let (local, base, server) = try await LocalClassifier.start()
        defer { server.cancel() }
        let high = try await Self.classifier(base + "/high").classify(Self.input)
        #expect(high.name == "local-test" && high.version == "1.0" && high.identity == "local-test/1.0")
        #expect(high.scores == ["nudity": 0.97, "violence": 0.2])
        let low = try await Self.classifier(base + "/low").classify(Self.input)
        #expect(low.scores["nudity"] == 0.03)

        _ = try await Self.classifier(base + "/echo").classify(Self.input)
        let body = try #require(await local.lastRequest)
        let request = try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])
        #expect(request["version"] as? Int == 1)
        #expect(request["media_type"] as? String == "image/png")
        #expect(request["sha256"] as? String == Self.input.sha256)
        #expect(request["md5"] as? String == Self.input.md5)
        #expect(request["pdq"] as? String == Self.input.pdq)
        let content = try #require(request["content_base64"] as? String)
        #expect(Data(base64Encoded: content).map { [UInt8]($0) } == Self.input.bytes)
    }

    @Test func aSlowClassifierIsCutOffAtTheTimeLimit() async throws {
        let (local, base, server) = try await LocalClassifier.start()
        defer { server.cancel() }
        let classifier = try Self.classifier(base + "/slow") { $0.timeout = .milliseconds(250) }
        let started = ContinuousClock.now
        do {
            _ = try await classifier.classify(Self.input)
            Issue.record("a call held for 2 s answered within a limit of 0.25 s")
        } catch {
            #expect(error.code == .timeout)
            #expect(error.message.contains("classifier.timeout"))
        }
        let elapsed = ContinuousClock.now - started
        // The classifier holds the call for 3 s; the limit is 0.25 s (the bound is generous for a busy machine).
        #expect(elapsed < .milliseconds(2_500), "took \(elapsed)")
        #expect(await local.count("slow") == 1)
    }

    @Test(arguments: LocalClassifier.garbage.keys.sorted())
    func garbageAnswersAreClearErrors(_ kind: String) async throws {
        let (_, base, server) = try await LocalClassifier.start()
        defer { server.cancel() }
        let classifier = try Self.classifier(base + "/garbage/\(kind)")
        do {
            let answer = try await classifier.classify(Self.input)
            Issue.record("garbage \(kind) was taken as \(answer)")
        } catch {
            #expect(error.code == .invalidAnswer, "\(kind): \(error)")
            #expect(!error.message.isEmpty)
        }
    }

    @Test func aHugeAnswerARedirectAndAnErrorStatusAreRefused() async throws {
        let (local, base, server) = try await LocalClassifier.start()
        defer { server.cancel() }
        let huge = try Self.classifier(base + "/huge")
        do {
            _ = try await huge.classify(Self.input)
            Issue.record("a 1 MiB answer was read")
        } catch {
            #expect(error.code == .invalidAnswer && error.message.contains("\(ClassifierLimits.maxAnswerBytes)"))
        }
        let redirect = try Self.classifier(base + "/redirect")
        do {
            _ = try await redirect.classify(Self.input)
            Issue.record("a redirect was followed")
        } catch {
            #expect(error.code == .httpStatus && error.message.contains("307"))
        }
        #expect(await local.count("high") == 0, "the redirect was not followed")
        let toggle = try Self.classifier(base + "/toggle")
        do {
            _ = try await toggle.classify(Self.input)
            Issue.record("a 500 was read as an answer")
        } catch {
            #expect(error.code == .httpStatus && error.message.contains("500"))
        }
    }

    @Test func aRefusedConnectionFailsWithinTheTimeLimit() async throws {
        // Port 1 on loopback: nothing listens there. AsyncHTTPClient retries a refused connection
        // until the call's deadline, so it ends as `timeout` (or `unreachable` when it gives up first).
        let closed = try Self.classifier("http://127.0.0.1:1/classify") { $0.timeout = .milliseconds(300) }
        let started = ContinuousClock.now
        do {
            _ = try await closed.classify(Self.input)
            Issue.record("a call to a closed port answered")
        } catch {
            #expect(error.code == .unreachable || error.code == .timeout, "\(error)")
        }
        let elapsed = ContinuousClock.now - started
        #expect(elapsed < .milliseconds(2_500), "took \(elapsed)")
    }

    @Test func aURLWithCredentialsOrAnotherSchemeIsRefused() {
        #expect(throws: OutboundURLError.self) { _ = try Self.classifier("ftp://127.0.0.1/classify") }
        #expect(throws: OutboundURLError.self) { _ = try Self.classifier("http://user:secret@127.0.0.1/classify") }
    }

    @Test func contentOverTheInputLimitIsNotSent() async throws {
        let (local, base, server) = try await LocalClassifier.start()
        defer { server.cancel() }
        let classifier = try Self.classifier(base + "/high") { $0.maxInputBytes = 4 }
        do {
            _ = try await classifier.classify(Self.input)
            Issue.record("content over the limit was sent")
        } catch {
            #expect(error.code == .inputTooLarge)
        }
        #expect(await local.total == 0)
        #expect(classifier.breakerState() == .closed, "a refusal of Vigil's own does not count against the classifier")
    }

    @Test func theBreakerOpensAfterFailuresInARowThenLetsOneTrialThrough() async throws {
        let (local, base, server) = try await LocalClassifier.start()
        defer { server.cancel() }
        let clock = ManualClock()
        let classifier = try Self.classifier(base + "/toggle", clock: clock) {
            $0.failureThreshold = 3
            $0.coolDown = 30
        }
        for _ in 0..<3 {
            await #expect(throws: ClassifierError(.httpStatus, "the classifier answered HTTP 500; it must answer 200 with the JSON of version 1")) {
                _ = try await classifier.classify(Self.input)
            }
        }
        #expect(classifier.breakerState() == .open(until: clock.now().addingTimeInterval(30)))
        // Open: refused at once, nothing sent.
        for _ in 0..<5 {
            do {
                _ = try await classifier.classify(Self.input)
            } catch {
                #expect(error.code == .circuitOpen)
            }
        }
        #expect(await local.count("toggle") == 3)
        clock.advance(by: 29)
        await #expect(throws: ClassifierError.self) { _ = try await classifier.classify(Self.input) }
        #expect(await local.count("toggle") == 3, "still open one second before the cool-down ends")

        // Half-open: one trial; it fails, so the breaker opens again for a whole cool-down.
        clock.advance(by: 1)
        #expect(classifier.breakerState() == .halfOpen)
        do {
            _ = try await classifier.classify(Self.input)
        } catch {
            #expect(error.code == .httpStatus)
        }
        #expect(await local.count("toggle") == 4)
        #expect(classifier.breakerState() == .open(until: clock.now().addingTimeInterval(30)))
        do {
            _ = try await classifier.classify(Self.input)
        } catch {
            #expect(error.code == .circuitOpen)
        }
        #expect(await local.count("toggle") == 4)

        // The service recovers: the next trial succeeds and closes the breaker.
        await local.setFailing(false)
        clock.advance(by: 30)
        let answer = try await classifier.classify(Self.input)
        #expect(answer.scores["nudity"] == 0.95)
        #expect(classifier.breakerState() == .closed)
        _ = try await classifier.classify(Self.input)
        #expect(await local.count("toggle") == 6)
    }

    @Test func theHalfOpenBreakerAdmitsOneTrialAtATime() {
        let clock = ManualClock()
        let breaker = CircuitBreaker(failureThreshold: 2, coolDown: 10, clock: clock)
        #expect(breaker.admit() == .call)
        breaker.record(success: false, trial: false)
        #expect(breaker.state == .closed)
        breaker.record(success: false, trial: false)
        #expect(breaker.admit() == .refused(until: clock.now().addingTimeInterval(10)))
        clock.advance(by: 10)
        #expect(breaker.admit() == .trial)
        #expect(breaker.admit() == .refused(until: nil), "a second caller waits for the trial's result")
        breaker.record(success: true, trial: true)
        #expect(breaker.admit() == .call)
        // A success in between resets the count of failures in a row.
        breaker.record(success: false, trial: false)
        breaker.record(success: true, trial: false)
        breaker.record(success: false, trial: false)
        #expect(breaker.state == .closed)
    }

    @Test func callsBeyondTheConcurrencyLimitAreNotMade() async throws {
        let (local, base, server) = try await LocalClassifier.start()
        defer { server.cancel() }
        let classifier = try Self.classifier(base + "/hold") {
            $0.maxConcurrent = 4
            $0.timeout = .seconds(30)
        }
        let outcomes = await withTaskGroup(of: String.self) { group in
            for _ in 0..<24 {
                group.addTask {
                    do {
                        _ = try await classifier.classify(Self.input)
                        return "ok"
                    } catch let error as ClassifierError {
                        return error.code.rawValue
                    } catch {
                        return "\(error)"
                    }
                }
            }
            var outcomes: [String] = []
            for await outcome in group { outcomes.append(outcome) }
            return outcomes
        }
        let ok = outcomes.filter { $0 == "ok" }.count
        let busy = outcomes.filter { $0 == "busy" }.count
        #expect(ok + busy == 24, "\(outcomes)")
        #expect(busy > 0)
        let peak = await local.peak
        #expect(peak <= 4, "the classifier saw \(peak) calls at once")
        #expect(await local.count("hold") == ok)
        #expect(classifier.breakerState() == .closed, "busy does not count against the classifier")
    }
}
