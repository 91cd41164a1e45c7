import Testing
import VigilClassifier
import VigilDomain
import VigilServer

/// `classifier.*`: off without a URL, every key checked by name, thresholds per label.
@Suite("Classifier configuration")
struct ClassifierConfigurationTests {
    @Test func offWithoutAURL() async throws {
        #expect(try await NodeConfiguration.load(environment: [:]).server.classifier == nil)
        #expect(try await NodeConfiguration.load(environment: ["VIGIL_CLASSIFIER_URL": " "]).server.classifier == nil)
    }

    @Test func everyKeyIsRead() async throws {
        let settings = try #require(
            try await NodeConfiguration.load(environment: [
                "VIGIL_CLASSIFIER_URL": "http://10.0.0.7:9000/classify", "VIGIL_CLASSIFIER_TIMEOUT": "2.5",
                "VIGIL_CLASSIFIER_MAX_CONCURRENT": "3", "VIGIL_CLASSIFIER_FAILURE_THRESHOLD": "4", "VIGIL_CLASSIFIER_COOL_DOWN": "12",
                "VIGIL_CLASSIFIER_REVIEW_THRESHOLD": "0.7, nudity=0.8,violence=0.95", "VIGIL_CLASSIFIER_MAX_INPUT_BYTES": "1000",
            ]).server.classifier)
        #expect(settings.url == "http://10.0.0.7:9000/classify")
        #expect(settings.timeout == .milliseconds(2500))
        #expect(settings.maxConcurrent == 3 && settings.failureThreshold == 4 && settings.coolDown == 12 && settings.maxInputBytes == 1000)
        #expect(settings.reviewThresholds == ReviewThresholds(default: 0.7, perLabel: ["nudity": 0.8, "violence": 0.95]))
        let defaults = try #require(try await NodeConfiguration.load(environment: ["VIGIL_CLASSIFIER_URL": "https://c.example/x"]).server.classifier)
        #expect(defaults.timeout == .seconds(5) && defaults.maxConcurrent == 8 && defaults.failureThreshold == 5 && defaults.coolDown == 30)
        #expect(defaults.reviewThresholds == ReviewThresholds(default: 0.9))
        let perLabelOnly = try #require(
            try await NodeConfiguration.load(environment: [
                "VIGIL_CLASSIFIER_URL": "https://c.example/x", "VIGIL_CLASSIFIER_REVIEW_THRESHOLD": "a=0.5",
            ])
            .server.classifier)
        #expect(perLabelOnly.reviewThresholds.threshold(for: "a") == 0.5 && perLabelOnly.reviewThresholds.threshold(for: "b") == nil)
    }

    @Test(arguments: [
        ("VIGIL_CLASSIFIER_URL", "ftp://c.example/x", "classifier.url"),
        ("VIGIL_CLASSIFIER_URL", "http://user:pw@c.example/x", "classifier.url"),
        ("VIGIL_CLASSIFIER_TIMEOUT", "0", "classifier.timeout"),
        ("VIGIL_CLASSIFIER_TIMEOUT", "soon", "classifier.timeout"),
        ("VIGIL_CLASSIFIER_MAX_CONCURRENT", "0", "classifier.max-concurrent"),
        ("VIGIL_CLASSIFIER_FAILURE_THRESHOLD", "-1", "classifier.failure-threshold"),
        ("VIGIL_CLASSIFIER_COOL_DOWN", "0", "classifier.cool-down"),
        ("VIGIL_CLASSIFIER_REVIEW_THRESHOLD", "1.5", "classifier.review-threshold"),
        ("VIGIL_CLASSIFIER_REVIEW_THRESHOLD", "nan", "classifier.review-threshold"),
        ("VIGIL_CLASSIFIER_REVIEW_THRESHOLD", "a=0.5,0.9", "classifier.review-threshold"),
        ("VIGIL_CLASSIFIER_REVIEW_THRESHOLD", "a=0.5,a=0.6", "classifier.review-threshold"),
        ("VIGIL_CLASSIFIER_REVIEW_THRESHOLD", "bad label=0.5", "classifier.review-threshold"),
        ("VIGIL_CLASSIFIER_REVIEW_THRESHOLD", "0.9,,a=0.5", "classifier.review-threshold"),
        ("VIGIL_CLASSIFIER_MAX_INPUT_BYTES", "0", "classifier.max-input-bytes"),
    ])
    func aBadValueStopsTheNodeNamingItsKey(_ variable: String, _ value: String, _ key: String) async throws {
        var environment = ["VIGIL_CLASSIFIER_URL": "http://127.0.0.1:9000/classify"]
        environment[variable] = value
        do {
            _ = try await NodeConfiguration.load(environment: environment)
            Issue.record("\(variable)=\(value) was accepted")
        } catch let error as ConfigurationError {
            #expect(error.key == key, "\(error)")
        }
    }
}
