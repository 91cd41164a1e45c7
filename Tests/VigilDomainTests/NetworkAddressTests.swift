import Testing
import VigilDomain

@Suite("Addresses a node may connect out to")
struct NetworkAddressTests {
    @Test(arguments: [
        ("8.8.8.8", AddressScope.global), ("93.184.216.34", .global), ("2606:4700:4700::1111", .global),
        ("127.0.0.1", .loopback), ("127.255.0.9", .loopback), ("::1", .loopback), ("[::1]", .loopback),
        ("10.1.2.3", .privateNetwork), ("172.16.0.1", .privateNetwork), ("172.31.255.255", .privateNetwork),
        ("192.168.1.1", .privateNetwork), ("100.64.0.1", .privateNetwork), ("fc00::1", .privateNetwork), ("fd12:3456::1", .privateNetwork),
        ("fec0::1", .privateNetwork), ("64:ff9b:1::a", .privateNetwork),
        ("169.254.1.1", .linkLocal), ("fe80::1", .linkLocal), ("febf::1", .linkLocal),
        ("169.254.169.254", .cloudMetadata), ("169.254.170.2", .cloudMetadata), ("100.100.100.200", .cloudMetadata),
        ("fd00:ec2::254", .cloudMetadata), ("::ffff:169.254.169.254", .cloudMetadata),
        ("224.0.0.1", .multicast), ("239.255.255.250", .multicast), ("ff02::1", .multicast),
        ("0.0.0.0", .unspecified), ("0.1.2.3", .unspecified), ("::", .unspecified),
        ("255.255.255.255", .reserved), ("240.0.0.1", .reserved), ("192.0.2.1", .reserved), ("198.18.0.1", .reserved),
        ("2001:db8::1", .reserved), ("2001:0:4136:e378::1", .reserved), ("4000::1", .reserved),
        // IPv6 forms that carry an IPv4 address are judged by it.
        ("::ffff:127.0.0.1", .loopback), ("::ffff:7f00:1", .loopback), ("::ffff:10.0.0.1", .privateNetwork), ("::127.0.0.1", .loopback),
        ("64:ff9b::127.0.0.1", .loopback), ("2002:7f00:1::", .loopback), ("2002:a9fe:a9fe::1", .cloudMetadata), ("::ffff:8.8.8.8", .global),
        ("172.15.0.1", .global), ("172.32.0.1", .global), ("100.63.0.1", .global), ("100.128.0.1", .global),
    ])
    func scopes(text: String, scope: AddressScope) throws {
        let address = try #require(IPAddress(text), "\(text) parses")
        #expect(address.scope == scope, "\(text)")
    }

    @Test(arguments: [
        "127.1", "2130706433", "0x7f.0.0.1", "0177.0.0.1", "127.0.0.01", "256.1.1.1", "1.2.3", "1.2.3.4.5", "", "localhost",
        "fe80::1%eth0", "1::2::3", "12345::1", "::g", "1:2:3:4:5:6:7:8:9", ":1::", "1.2.3.4:80",
    ])
    func nonLiteralsAreNamesForTheResolver(text: String) {
        #expect(IPAddress(text) == nil, "\(text)")
    }

    @Test func textRoundTrips() throws {
        for text in ["1.2.3.4", "::1", "::", "fe80::1", "2001:db8:0:1:1:1:1:1", "2001:db8::1:0:0:1", "fd00:ec2::254"] {
            #expect(try #require(IPAddress(text)).description == text)
        }
        #expect(try #require(IPAddress("2001:DB8:0:0:0:0:0:1")).description == "2001:db8::1")
        #expect(IPAddress(bytes: [1, 2, 3]) == nil)
        #expect(try #require(IPAddress("::ffff:127.0.0.1")).unmapped == IPAddress("127.0.0.1"))
        #expect(try #require(IPAddress("64:ff9b::7f00:1")).unmapped == IPAddress("64:ff9b::7f00:1"))
    }

    @Test func thePolicyRefusesInsideAddressesUnlessAllowedAndMetadataAlways() throws {
        let strict = AddressPolicy(setting: "fetch.allow-private")
        let open = AddressPolicy(allowPrivate: true, setting: "fetch.allow-private")
        for text in ["127.0.0.1", "::1", "10.0.0.1", "169.254.1.1", "fe80::1"] {
            let address = try #require(IPAddress(text))
            let refusal = try #require(strict.refusal(of: address))
            #expect(refusal.contains(address.description) && refusal.contains("fetch.allow-private"))
            #expect(open.refusal(of: address) == nil)
        }
        for text in ["169.254.169.254", "fd00:ec2::254", "224.0.0.1", "0.0.0.0", "255.255.255.255"] {
            let address = try #require(IPAddress(text))
            #expect(strict.refusal(of: address) != nil)
            #expect(open.refusal(of: address)?.contains("never") == true, "\(text)")
        }
        #expect(strict.refusal(of: try #require(IPAddress("8.8.8.8"))) == nil)
    }

    @Test(arguments: [
        ("file:///etc/passwd", "file: URLs are refused"), ("gopher://example.net:70/_x", "gopher: URLs are refused"),
        ("ftp://example.net/a", "ftp: URLs are refused"), ("http://user:pw@example.net/a", "user name or password"),
        ("http://user@example.net/a", "user name or password"), ("https://@example.net/a", "user name or password"),
        ("http:///a", "no host"), ("/relative/path", "not an absolute"), ("http://exa mple.net/", "not an absolute"),
        ("http://example.net/\n", "not an absolute"),
    ])
    func refusedURLs(text: String, problem: String) {
        #expect(throws: OutboundURLError.self) { try OutboundURL(text) }
        do {
            _ = try OutboundURL(text)
        } catch let error as OutboundURLError {
            #expect(error.description.contains(problem), "\(text): \(error.description)")
        } catch {
            Issue.record("\(text): \(error)")
        }
    }

    @Test func acceptedURLs() throws {
        let url = try OutboundURL("HTTPS://CDN.Example.net/a.jpg?x=1")
        #expect(url.scheme == "https" && url.host == "cdn.example.net" && url.port == 443)
        #expect(url.origin == "https://cdn.example.net:443")
        let v6 = try OutboundURL("http://[::1]:8080/hook")
        #expect(v6.host == "::1" && v6.port == 8080 && v6.origin == "http://[::1]:8080")
        let policy = AddressPolicy(setting: "webhooks.allow-private")
        #expect(policy.refusal(ofLiteralHostIn: v6) != nil)
        #expect(policy.refusal(ofLiteralHostIn: try OutboundURL("http://hooks.example/x")) == nil)
    }

    /// The one check of a webhook's host when it is set: address literals the policy refuses, in any
    /// spelling; names pass (they are checked when a delivery connects); text that is not a URL is left
    /// to the webhook's own validation, which names its problem.
    @Test func webhookRefusalChecksLiteralHostsOnly() {
        let policy = AddressPolicy(setting: "webhooks.allow-private")
        for refused in ["http://127.0.0.1/h", "https://[::1]:8443/h", "http://169.254.169.254/latest", "http://10.1.2.3/h"] {
            #expect(policy.refusal(ofWebhook: refused) != nil, "\(refused)")
        }
        for passed in ["https://hooks.example/x", "http://93.184.215.14/h", "not a url", "gopher://x/"] {
            #expect(policy.refusal(ofWebhook: passed) == nil, "\(passed)")
        }
    }

    @Test func webhookPoliciesRefuseOtherSchemesAndCredentials() {
        for url in ["gopher://hooks.example/", "file:///tmp/x", "http://u:p@hooks.example/x"] {
            #expect(throws: ActionPolicyError.self) {
                try ActionPolicy(action: .notify, webhookURL: url, secret: String(repeating: "s", count: 20)).validate()
            }
        }
        #expect(throws: Never.self) {
            try ActionPolicy(action: .notify, webhookURL: "https://hooks.example/x", secret: String(repeating: "s", count: 20)).validate()
        }
    }
}
