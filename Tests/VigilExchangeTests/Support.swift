import Foundation
import VigilDomain
import VigilExchange
import VigilTestSupport

/// Synthetic values (random hex) used by the fixtures in Tests/Fixtures/exchange.
enum Hex {
    static let p1 = "a4c123b1612dd272d1371c17149d439536b3216fdaeeb975729fae923d5a4fd1"
    static let p2 = "2aabfe228f219e9cb0eb53f16947ccf25ec84d8dbc74254770f58904dba41ecc"
    static let p3 = "cc3fc1626e53a13043b026c48bbf33feff9243a8f506b40928b5b7a767c76fb0"
    static let p4 = "08f86bebb2737f6a6f0fb23c6f5da2cec255404e4fb440034d6608697a8d41be"
    static let m1 = "d440e50454f31af3176813e02ea68ef7"
    static let m2 = "86e4d3cea27d26934b484e73cf575dca"
    static let m3 = "d6ba2b0aee0ca923732881584d8c4fa2"
}

/// Locates Tests/Fixtures/exchange from this source file.
enum ExchangeFixtures {
    static let root: URL = TestPaths.fixtures.appendingPathComponent("exchange")

    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: root.appendingPathComponent(name)))
    }
}

/// What feeding a whole input produced: everything returned, and the error that stopped it, if any.
struct Outcome: Equatable {
    var batch = ImportBatch()
    var error: ImportError?
}

/// Feeds `bytes` to `reader` in chunks whose sizes `nextSize` picks, then finishes.
func feed(_ reader: some IndicatorReader, _ bytes: [UInt8], nextSize: (Int) -> Int = { $0 }) -> Outcome {
    var reader = reader
    var outcome = Outcome()
    var offset = 0
    do {
        while offset < bytes.count {
            let size = max(1, min(nextSize(bytes.count - offset), bytes.count - offset))
            outcome.batch.append(try reader.read(bytes[offset..<(offset + size)]))
            offset += size
        }
        outcome.batch.append(try reader.finish())
    } catch {
        outcome.error = error
    }
    return outcome
}

/// Feeds the whole input at once.
func importAll(_ reader: some IndicatorReader, _ text: String) -> Outcome {
    feed(reader, Array(text.utf8))
}

func pdq(_ value: String, _ provenance: Provenance = Provenance(), action: IndicatorRecord.Action = .add) -> IndicatorRecord {
    IndicatorRecord(type: .pdq, value: value, action: action, provenance: provenance)
}
