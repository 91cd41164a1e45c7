import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import VigilDomain
import VigilMatching
import VigilServer
import VigilStore

/// Every change made through either skin is recorded on the audit chain in the same transaction,
/// naming the caller's key and organisation, and never content.
@Suite("Audit trail of list changes")
struct AuditTrailTests {
    @Test func changesThroughV1AndHMAAreAuditedOnOneChain() async throws {
        let node = try await TestNode.make()
        try await node.application.test(.router) { client in
            try await client.execute(
                uri: "/v1/lists", method: .post, headers: node.headers(.curate), body: jsonBody(["name": "audited", "kind": "internal"])
            ) {
                #expect($0.status == .created)
            }
            try await client.execute(
                uri: "/v1/lists/audited/entries", method: .post, headers: node.headers(.curate),
                body: jsonBody(["entries": [["type": "pdq", "value": bridgeHash]]])
            ) {
                #expect($0.status == .created)
            }
            try await client.execute(uri: "/c/banks", method: .post, headers: node.headers(.curate), body: jsonBody(["name": "AUDITED_BANK"])) {
                #expect($0.status == .created)
            }
            try await client.execute(uri: "/v1/lists/audited", method: .delete, headers: node.headers(.curate)) {
                #expect($0.status == .noContent)
            }
            // A refused change leaves no event.
            try await client.execute(
                uri: "/v1/lists", method: .post, headers: node.headers(.match), body: jsonBody(["name": "refused", "kind": "internal"])
            ) {
                #expect($0.status == .forbidden)
            }
        }
        let events = try await node.store.auditEvents(after: 0, limit: 100)
        #expect(events.map(\.event.action) == ["list.create", "entries.add", "list.create", "list.delete"])
        #expect(events.allSatisfy { $0.event.organisation == "Test curate" && $0.event.actor.hasPrefix("key:") })
        #expect(events.allSatisfy { !($0.event.detail ?? "").contains(bridgeHash) }, "hashes are content's fingerprints: not in the trail")
        #expect(try await node.store.verifyAuditChain().isValid)
    }
}
