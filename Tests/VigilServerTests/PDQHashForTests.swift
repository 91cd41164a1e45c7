import VigilHash

enum PDQHashForTests {
    static func parse(_ hex: String) -> PDQHash? { PDQHash(hex: hex) }
}
