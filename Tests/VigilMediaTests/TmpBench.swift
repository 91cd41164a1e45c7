import Testing
import VigilMedia
import Foundation
@Test func tmpBench() throws {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/reference/images")
    for f in ["generated-edge/scene-2000x1500.jpg", "pdq-data/bridge-mods/aaa-orig.jpg", "generated-edge/scene-800x600-rgba-halftransparent.png", "pdq-data/misc-images/modes/F.webp", "generated-edge/scene-800x600-palette.png"] {
        let bytes = [UInt8](try Data(contentsOf: root.appendingPathComponent(f)))
        let d = ImageDecoder()
        _ = try d.decode(bytes)
        let clock = ContinuousClock()
        let n = 20
        let t = clock.measure { for _ in 0..<n { _ = try? d.decode(bytes) } }
        print("BENCH", f, t / n)
    }
}
