import Foundation
import VigilClassifier
import VigilDomain

extension OperationsController {
    /// `/ready`'s warning while the classifier's circuit breaker is open or half-open: uploads are
    /// answered without its scores meanwhile (the node stays ready: matching does not need it).
    var classifierWarnings: [String] {
        guard let classifier = node.classifier else { return [] }
        switch classifier.breakerState() {
        case .closed:
            return []
        case .open(let until):
            return ["classifier: circuit open after failures in a row until \(until.rfc3339); uploads are answered without its scores"]
        case .halfOpen:
            return ["classifier: circuit half-open, the next call is a trial; uploads are answered without its scores until one succeeds"]
        }
    }
}
