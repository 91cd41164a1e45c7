import Foundation
import Testing
import VigilDomain
import VigilExchange
import VigilTestSupport

@Suite("Streaming at scale")
struct StreamingScaleTests {
    /// 200,000 TSV lines (a million with `VIGIL_EXCHANGE_FULL_SCALE=1`: about 8 s in a debug build),
    /// generated chunk by chunk and never held whole: the reader's buffer stays below one line, and
    /// every line comes back as one record.
    @Test func largeTSVStreamsInBoundedMemory() throws {
        let lineCount = ProcessInfo.processInfo.environment["VIGIL_EXCHANGE_FULL_SCALE"] == "1" ? 1_000_000 : 200_000
        let hexDigits = Array("0123456789abcdef".utf8)
        var reader = TSVReader()
        var random = SplitMix64(seed: 2024)
        var records = 0
        var issues = 0
        var maxBuffered = 0
        var checksum: UInt64 = 0
        var line = 0
        let templates: [[UInt8]] = (0..<64).map { _ in (0..<64).map { _ in hexDigits[Int(random.next() & 15)] } + [10] }
        var chunk: [UInt8] = []
        chunk.reserveCapacity(70_000)
        while line < lineCount {
            chunk.removeAll(keepingCapacity: true)
            let target = Int.random(in: 1_000...65_000, using: &random)
            while chunk.count < target && line < lineCount {
                // A random 64-hex-digit line whose first 16 digits are the line number: distinct and cheap.
                var template = templates[line % templates.count]
                var number = line
                for index in 0..<16 {
                    template[index] = hexDigits[number & 15]
                    number >>= 4
                }
                chunk.append(contentsOf: template)
                line += 1
            }
            // Cut the chunk at an arbitrary point so lines straddle reads.
            let cut = Int.random(in: 0...chunk.count, using: &random)
            for part in [chunk[..<cut], chunk[cut...]] {
                let batch = try reader.read(part)
                records += batch.records.count
                issues += batch.issues.count
                if let last = batch.records.last { checksum &+= UInt64(last.value.utf8.first ?? 0) }
                maxBuffered = max(maxBuffered, reader.bufferedByteCount)
            }
        }
        records += try reader.finish().records.count
        #expect(records == lineCount)
        #expect(issues == 0)
        #expect(maxBuffered <= 65)
        #expect(checksum > 0)
    }
}
