import Configuration
import Foundation
import Logging
import Testing
import VigilCentre
import VigilDomain
import VigilIndex
import VigilMedia
import VigilServer

/// `vigil serve`'s settings: flags over `VIGIL_*` environment variables over a JSON/YAML file over defaults.
@Suite("Node configuration")
struct NodeConfigurationTests {
    private func file(_ name: String, _ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-config-\(UUID().uuidString)-\(name)").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func defaultsWithNoSource() async throws {
        let configuration = try await NodeConfiguration.load(environment: [:])
        #expect(configuration.dataDirectory == "./vigil-data")
        #expect(configuration.logLevel == .info)
        #expect(configuration.server.host == "127.0.0.1")
        #expect(configuration.server.port == 8080)
        #expect(configuration.server.maxBodyBytes == 32 << 20)
        #expect(configuration.server.urlFetch.allowedHosts.isEmpty)
        #expect(configuration.server.urlFetch.maxBytes == 100 << 20)  // HMA's default
        #expect(!configuration.server.urlFetch.allowPrivate && !configuration.server.webhookAddresses.allowPrivate)
        #expect(configuration.server.urlFetch.timeout == .seconds(30))
        #expect(configuration.server.urlFetch.maxRedirects == 5)
        #expect(configuration.server.urlFetch.maxConcurrent == 8 && configuration.server.urlFetch.maxConcurrentPerOrigin == 4)
        #expect(configuration.indexTuning == .speed)
        #expect(configuration.server.video.decoder == .auto)
    }

    @Test func layersFlagsOverEnvironmentOverFile() async throws {
        let json = try file(
            "node.json",
            """
            {"data": {"directory": "/srv/vigil"}, "log": {"level": "warning"},
             "http": {"host": "0.0.0.0", "port": 9000, "max-body-bytes": 1000000},
             "fetch": {"allowed-hosts": ["cdn.example.net", "*.example.org"], "timeout-seconds": 2.5},
             "decode": {"max-pixels": 50000000}}
            """)
        let fromFile = try await NodeConfiguration.load(environment: [:], file: json)
        #expect(fromFile.dataDirectory == "/srv/vigil")
        #expect(fromFile.logLevel == .warning)
        #expect(fromFile.server.host == "0.0.0.0")
        #expect(fromFile.server.port == 9000)
        #expect(fromFile.server.maxBodyBytes == 1_000_000)
        #expect(fromFile.server.urlFetch.allowedHosts == ["cdn.example.net", "*.example.org"])
        #expect(fromFile.server.urlFetch.maxBytes == 100 << 20)  // its own limit, not the body limit
        #expect(fromFile.server.urlFetch.timeout == .milliseconds(2500))
        #expect(fromFile.server.decodeLimits.maxPixels == 50_000_000)

        let environment = ["VIGIL_HTTP_PORT": "9100", "VIGIL_FETCH_ALLOWED_HOSTS": "a.example, b.example", "VIGIL_CONFIG": json, "HTTP_PORT": "1"]
        let fromEnvironment = try await NodeConfiguration.load(environment: environment)
        #expect(fromEnvironment.server.port == 9100)
        #expect(fromEnvironment.server.urlFetch.allowedHosts == ["a.example", "b.example"])
        #expect(fromEnvironment.server.host == "0.0.0.0")  // still from the file named by VIGIL_CONFIG

        let flags: [AbsoluteConfigKey: ConfigValue] = ["http.port": ConfigValue(.int(9200), isSecret: false)]
        let fromFlags = try await NodeConfiguration.load(flags: flags, environment: environment)
        #expect(fromFlags.server.port == 9200)
        #expect(fromFlags.logLevel == .warning)
    }

    @Test func readsYAML() async throws {
        let yaml = try file(
            "node.yaml",
            """
            http:
              port: 8181
            log:
              level: debug
            """)
        let configuration = try await NodeConfiguration.load(environment: [:], file: yaml)
        #expect(configuration.server.port == 8181)
        #expect(configuration.logLevel == .debug)
        #expect(try await NodeConfiguration.load(environment: ["VIGIL_INDEX_TUNING": "compact"]).indexTuning == .compact)
        #expect(try await NodeConfiguration.load(environment: [:]).entryCacheEntries == 100_000)
        #expect(try await NodeConfiguration.load(environment: ["VIGIL_INDEX_ENTRY_CACHE_ENTRIES": "0"]).entryCacheEntries == 0)
    }

    @Test func badValuesNameTheirKey() async throws {
        await #expect { try await NodeConfiguration.load(environment: ["VIGIL_HTTP_PORT": "eighty"]) } throws: { error in
            "\(error)".contains("http.port") && "\(error)".contains("VIGIL_HTTP_PORT")
        }
        await #expect { try await NodeConfiguration.load(environment: ["VIGIL_HTTP_PORT": "70000"]) } throws: { error in
            "\(error)".contains("not a port")
        }
        await #expect { try await NodeConfiguration.load(environment: ["VIGIL_LOG_LEVEL": "loud"]) } throws: { error in
            "\(error)".contains("log.level")
        }
        await #expect { try await NodeConfiguration.load(environment: ["VIGIL_INDEX_TUNING": "fastest"]) } throws: { error in
            "\(error)".contains("index.tuning")
        }
        await #expect { try await NodeConfiguration.load(environment: ["VIGIL_INDEX_ENTRY_CACHE_ENTRIES": "-1"]) } throws: { error in
            "\(error)".contains("index.entry-cache-entries")
        }
        await #expect { try await NodeConfiguration.load(environment: ["VIGIL_CYBERTIPLINE_REMOVAL": "gone"]) } throws: { error in
            "\(error)".contains("cybertipline.removal")
        }
        await #expect { try await NodeConfiguration.load(environment: ["VIGIL_HTTP_MAX_BODY_BYTES": "0"]) } throws: { error in
            "\(error)".contains("http.max-body-bytes")
        }
        await #expect { try await NodeConfiguration.load(environment: [:], file: "/nonexistent/vigil.json") } throws: { error in
            "\(error)".contains("does not exist")
        }
        let broken = try file("broken.json", "{\"http\": {\"port\": ")
        await #expect { try await NodeConfiguration.load(environment: [:], file: broken) } throws: { error in
            "\(error)".contains("cannot be read")
        }
        let wrongType = try file("wrong.json", "{\"http\": {\"port\": \"x\"}}")
        await #expect { try await NodeConfiguration.load(environment: [:], file: wrongType) } throws: { error in
            "\(error)".contains("http.port")
        }
    }

    /// `video.temporary-folder`: an existing folder is taken; a missing one stops the node, naming the key.
    @Test func videoTemporaryFolder() async throws {
        #expect(try await NodeConfiguration.load(environment: [:]).server.video.temporaryFolder == nil)
        let folder = FileManager.default.temporaryDirectory.path
        let set = try await NodeConfiguration.load(environment: ["VIGIL_VIDEO_TEMPORARY_FOLDER": folder])
        #expect(set.server.video.temporaryFolder == folder)
        await #expect { try await NodeConfiguration.load(environment: ["VIGIL_VIDEO_TEMPORARY_FOLDER": "/nonexistent/uploads"]) } throws: { error in
            "\(error)".contains("video.temporary-folder") && "\(error)".contains("not an existing folder")
        }
    }

    /// Filing with a Centre: off without `filing.centre-url`; with it, every required key is
    /// named when missing, and a bad signing key file or establishment stops the node.
    @Test func filingSettingsAreAllOrNothingAndCheckedEachByName() async throws {
        #expect(try await NodeConfiguration.load(environment: [:]).server.filing == nil)
        let signer = ReportSigner.generate()
        let keyFile = try file("signing.key", Data(signer.privateKeyBytes).base64EncodedString() + "\n")
        let complete = [
            "VIGIL_FILING_CENTRE_URL": "https://centre.example.eu", "VIGIL_FILING_API_KEY": "vk_test",
            "VIGIL_FILING_SIGNING_KEY_FILE": keyFile, "VIGIL_FILING_PROVIDER_NAME": "Example Hosting",
            "VIGIL_FILING_PROVIDER_CONTACT": "abuse@hosting.example", "VIGIL_FILING_LEGAL_BASIS": "Regulation (EU) 2021/1232",
            "VIGIL_FILING_ESTABLISHMENT": "IE",
        ]
        let filing = try #require(try await NodeConfiguration.load(environment: complete).server.filing)
        #expect(filing.centreURL == "https://centre.example.eu" && filing.apiKey == "vk_test")
        #expect(filing.signer.keyId == signer.keyId)
        #expect(filing.profile.provider.establishment == "IE" && filing.profile.legalBasis == "Regulation (EU) 2021/1232")
        for (name, key) in [
            ("VIGIL_FILING_API_KEY", "filing.api-key"), ("VIGIL_FILING_SIGNING_KEY_FILE", "filing.signing-key-file"),
            ("VIGIL_FILING_PROVIDER_NAME", "filing.provider-name"), ("VIGIL_FILING_LEGAL_BASIS", "filing.legal-basis"),
        ] {
            var missing = complete
            missing[name] = nil
            await #expect { try await NodeConfiguration.load(environment: missing) } throws: { error in
                "\(error)".contains(key) && "\(error)".contains("required")
            }
        }
        for (name, value, key) in [
            ("VIGIL_FILING_CENTRE_URL", "ftp://centre.example.eu", "filing.centre-url"),
            ("VIGIL_FILING_SIGNING_KEY_FILE", "/nonexistent/signing.key", "filing.signing-key-file"),
            ("VIGIL_FILING_ESTABLISHMENT", "XX", "filing.establishment"),
            ("VIGIL_FILING_INTERVAL_SECONDS", "0", "filing.interval-seconds"),
        ] {
            var bad = complete
            bad[name] = value
            await #expect { try await NodeConfiguration.load(environment: bad) } throws: { error in "\(error)".contains(key) }
        }
    }

    /// The master key: made once in the data folder (owner-only), read back the same; a configured
    /// key file that is missing, or a bad key, stops the node with the setting named.
    @Test func theMasterKeyIsMadeOnceAndAMissingConfiguredFileIsAnError() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-keys-\(UUID().uuidString)").path
        let configuration = try await NodeConfiguration.load(environment: ["VIGIL_DATA_DIRECTORY": folder])
        let (first, created) = try ContentKeys.keyring(for: configuration)
        let path = try #require(created)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let (again, createdAgain) = try ContentKeys.keyring(for: configuration)
        #expect(createdAgain == nil && again.current.id == first.current.id)

        var missing = configuration
        missing.contentMasterKeyFile = folder + "/elsewhere/master.key"
        #expect(throws: ContentKeyError.self) { _ = try ContentKeys.keyring(for: missing) }
        var bad = configuration
        bad.contentMasterKey = "not-base64!"
        let error = try #require(throws: ContentKeyError.self) { _ = try ContentKeys.keyring(for: bad) }
        #expect(error.message.contains("content.master-key"))
    }

    @Test func fetchAndWebhookSettings() async throws {
        let environment = [
            "VIGIL_FETCH_ALLOW_PRIVATE": "true", "VIGIL_FETCH_MAX_BYTES": "1048576", "VIGIL_FETCH_MAX_REDIRECTS": "2",
            "VIGIL_FETCH_MAX_CONCURRENT": "20", "VIGIL_FETCH_MAX_CONCURRENT_PER_ORIGIN": "3", "VIGIL_WEBHOOKS_ALLOW_PRIVATE": "true",
        ]
        let configuration = try await NodeConfiguration.load(environment: environment)
        let fetch = configuration.server.urlFetch
        #expect(fetch.allowPrivate && fetch.maxBytes == 1 << 20 && fetch.maxRedirects == 2)
        #expect(fetch.maxConcurrent == 20 && fetch.maxConcurrentPerOrigin == 3)
        #expect(configuration.server.webhookAddresses.allowPrivate)
        for (key, value) in [
            ("VIGIL_FETCH_MAX_REDIRECTS", "21"), ("VIGIL_FETCH_MAX_CONCURRENT", "0"), ("VIGIL_FETCH_MAX_CONCURRENT_PER_ORIGIN", "9"),
            ("VIGIL_FETCH_ALLOW_PRIVATE", "maybe"),
        ] {
            await #expect(throws: ConfigurationError.self, "\(key)=\(value)") {
                _ = try await NodeConfiguration.load(environment: [key: value])
            }
        }
    }
    /// `hma.signal-types`: every type by default; a list by python-threatexchange's names, kept in
    /// answer order; an unknown, repeated or empty list stops the node naming the key.
    @Test func hmaSignalTypes() async throws {
        #expect(try await NodeConfiguration.load(environment: [:]).server.hmaSignalTypes == [.pdq, .md5, .sha256, .vpdq])
        let chosen = try await NodeConfiguration.load(environment: ["VIGIL_HMA_SIGNAL_TYPES": "video_md5, pdq"])
        #expect(chosen.server.hmaSignalTypes == [.pdq, .md5])
        for value in ["pdq,url", "pdq,pdq", " , "] {
            await #expect("\(value)") { try await NodeConfiguration.load(environment: ["VIGIL_HMA_SIGNAL_TYPES": value]) } throws: { error in
                "\(error)".contains("hma.signal-types")
            }
        }
    }
}
