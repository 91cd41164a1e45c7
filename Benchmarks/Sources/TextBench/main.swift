// TextBench: messages assessed per second on one thread, with the shipped indicator sets plus
// generated ones up to --indicators (10,000 by default), over a seeded corpus of chat messages
// (ordinary words, some with indicator phrases, some disguised with the tricks the normaliser
// undoes). Prints a markdown table. See Benchmarks/text/run.sh.
import Foundation
import VigilText

struct Generator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}

func argument(_ name: String, default value: String) -> String {
    let arguments = CommandLine.arguments
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return value }
    return arguments[index + 1]
}

let root = argument("--root", default: FileManager.default.currentDirectoryPath)

// --evaluate FOLDER: precision and recall on held-back conversations instead of the speed run.
if let folder = CommandLine.arguments.firstIndex(of: "--evaluate").map({ CommandLine.arguments[$0 + 1] }) {
    evaluate(folder: folder, root: root)
    exit(0)
}
let indicatorCount = Int(argument("--indicators", default: "10000")) ?? 10_000
let messageCount = Int(argument("--messages", default: "200000")) ?? 200_000
let rounds = Int(argument("--rounds", default: "5")) ?? 5

var random = Generator(state: 20_261_130)
let syllables = ["ka", "lo", "mi", "ne", "ru", "ta", "vo", "zi", "be", "do", "fa", "gu", "pe", "si", "te", "wa"]
func word(_ random: inout Generator) -> String {
    (0..<(2 + random.below(3))).map { _ in syllables[random.below(syllables.count)] }.joined()
}

// The shipped sets, then generated sets per language up to the indicator count.
var sets: [IndicatorSet] = []
for language in ["en", "de", "fr"] {
    let url = URL(fileURLWithPath: root).appendingPathComponent("data/text-indicators/grooming-\(language).json")
    guard let data = try? Data(contentsOf: url) else { fatalError("cannot read \(url.path); run from the repository root or pass --root") }
    do { sets.append(try IndicatorSet.read(data)) } catch { fatalError("\(url.path): \(error)") }
}
let shipped = sets.reduce(0) { $0 + $1.indicators.count }
var generatedPhrases: [String] = []
for language in ["en", "de", "fr"] {
    var indicators: [TextIndicator] = []
    let share = max(0, indicatorCount - shipped) / 3
    for index in 0..<share {
        let phrase = (0..<(2 + random.below(3))).map { _ in word(&random) }.joined(separator: " ")
        generatedPhrases.append(phrase)
        indicators.append(
            TextIndicator(
                id: "gen-\(language)-\(index)", stage: GroomingStage.allCases[index % GroomingStage.allCases.count].rawValue, phrase: phrase,
                weight: 0.3, explanation: "generated for the benchmark"))
    }
    if !indicators.isEmpty {
        sets.append(
            IndicatorSet(
                id: "bench-\(language)", language: language, category: .grooming, version: "bench",
                provenance: IndicatorProvenance(source: "TextBench", basis: "generated"), indicators: indicators))
    }
}
let loaded = sets.reduce(0) { $0 + $1.indicators.count }

// The corpus: 8-20 ordinary words; one message in 20 carries a shipped or generated phrase, one in
// 40 of those disguised (leetspeak, spacing, confusables).
let ordinary =
    ("the a to and you i it is of in that was for on are with he they at be this have from or one had by word but not what all were we when "
    + "your can said there use an each which she do how their if will up other about out many then them these so some her would make like "
    + "school game later tomorrow practice ball mum dad dinner homework weekend movie music friend team phone").split(separator: " ").map(String.init)
let shippedPhrases = sets.prefix(3).flatMap { $0.indicators.map(\.phrase) }
func disguise(_ text: String, _ random: inout Generator) -> String {
    switch random.below(3) {
    case 0: return text.replacingOccurrences(of: "e", with: "3").replacingOccurrences(of: "o", with: "0")
    case 1: return text.map { String($0) }.joined(separator: " ")
    default: return text.replacingOccurrences(of: "a", with: "\u{0430}").replacingOccurrences(of: "e", with: "\u{0435}")
    }
}
var messages: [Conversation] = []
messages.reserveCapacity(messageCount)
var carrying = 0
for index in 0..<messageCount {
    var words = (0..<(8 + random.below(13))).map { _ in ordinary[random.below(ordinary.count)] }
    if index % 20 == 0 {
        var phrase =
            random.below(2) == 0 ? shippedPhrases[random.below(shippedPhrases.count)] : generatedPhrases[random.below(generatedPhrases.count)]
        if index % 40 == 0 { phrase = disguise(phrase, &random) }
        words.insert(phrase, at: random.below(words.count))
        carrying += 1
    }
    let language = ["en", "de", "fr"][index % 3]
    messages.append(Conversation(messages: [ConversationMessage(sender: "s", text: words.joined(separator: " "))], language: language))
}
let averageCharacters = messages.reduce(0) { $0 + $1.messages[0].text.count } / max(1, messages.count)

let build = ContinuousClock().measure {
    _ = try? ConversationAssessor(sets: sets)
}
let assessor: ConversationAssessor
do { assessor = try ConversationAssessor(sets: sets) } catch { fatalError("\(error)") }

var rates: [Double] = []
var hits = 0
for _ in 0..<rounds {
    hits = 0
    let elapsed = ContinuousClock().measure {
        for conversation in messages {
            do { hits += try assessor.assess(conversation).hits.count } catch { fatalError("\(error)") }
        }
    }
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    rates.append(Double(messages.count) / seconds)
}
rates.sort()
let median = rates[rates.count / 2]
print("| indicators loaded | messages | mean characters | messages with a phrase | hits | build ms | messages/s (median of \(rounds)) | min | max |")
print("|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
let buildMs = Double(build.components.seconds) * 1_000 + Double(build.components.attoseconds) / 1e15
print(
    "| \(loaded) | \(messages.count) | \(averageCharacters) | \(carrying) | \(hits) | \(String(format: "%.0f", buildMs)) | "
        + "\(String(format: "%.0f", median)) | \(String(format: "%.0f", rates.first ?? 0)) | \(String(format: "%.0f", rates.last ?? 0)) |")

/// A held-back conversation: its label and the stages the writer meant.
struct Labelled: Decodable {
    let id: String
    let label: String
    let stages: [String]
    let messages: [ConversationMessage]
}

struct LabelledFile: Decodable {
    let language: String
    let conversations: [Labelled]
}

/// Precision and recall per language (a conversation is flagged at level medium or high) and per
/// stage (a stage is found when a hit shows it), on the held-back files in `folder`, with every
/// shipped set loaded (as the node loads them).
func evaluate(folder: String, root: String) {
    // Every shipped set (grooming, trafficking, extremism), as the node loads them.
    var sets: [IndicatorSet] = []
    let setFolder = URL(fileURLWithPath: root).appendingPathComponent("data/text-indicators")
    let names = ((try? FileManager.default.contentsOfDirectory(atPath: setFolder.path)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
    for name in names {
        let url = setFolder.appendingPathComponent(name)
        guard let data = try? Data(contentsOf: url), let set = try? IndicatorSet.read(data) else { fatalError("cannot read \(url.path)") }
        sets.append(set)
    }
    guard let assessor = try? ConversationAssessor(sets: sets) else { fatalError("the shipped sets do not load") }
    func ratio(_ a: Int, _ b: Int) -> String { b == 0 ? "-" : String(format: "%.2f", Double(a) / Double(b)) }
    print("| language | conversations (grooming / ordinary) | flagged true | flagged false | missed | precision | recall |")
    print("|---|--:|--:|--:|--:|--:|--:|")
    var stageCounts: [String: (truePositive: Int, falsePositive: Int, falseNegative: Int)] = [:]
    for language in ["en", "de", "fr"] {
        let url = URL(fileURLWithPath: folder).appendingPathComponent("heldback-\(language).json")
        guard let data = try? Data(contentsOf: url), let file = try? JSONDecoder().decode(LabelledFile.self, from: data) else {
            fatalError("cannot read \(url.path)")
        }
        var (tp, fp, fn, grooming) = (0, 0, 0, 0)
        for conversation in file.conversations {
            guard let result = try? assessor.assess(Conversation(messages: conversation.messages, language: file.language)) else {
                fatalError("\(conversation.id) could not be assessed")
            }
            let flagged = result.level != .low
            let isGrooming = conversation.label == "grooming"
            if isGrooming { grooming += 1 }
            if flagged && isGrooming { tp += 1 } else if flagged { fp += 1 } else if isGrooming { fn += 1 }
            let found = Set(result.hits.map(\.stage))
            for stage in GroomingStage.allCases.map(\.rawValue) {
                let meant = conversation.stages.contains(stage)
                var counts = stageCounts["\(language)/\(stage)"] ?? (0, 0, 0)
                if meant && found.contains(stage) {
                    counts.truePositive += 1
                } else if found.contains(stage) {
                    counts.falsePositive += 1
                } else if meant {
                    counts.falseNegative += 1
                }
                stageCounts["\(language)/\(stage)"] = counts
            }
        }
        print(
            "| \(language) | \(grooming) / \(file.conversations.count - grooming) | \(tp) | \(fp) | \(fn) | \(ratio(tp, tp + fp)) | \(ratio(tp, tp + fn)) |"
        )
    }
    print("")
    print("| stage | " + ["en", "de", "fr"].map { "\($0) precision | \($0) recall" }.joined(separator: " | ") + " |")
    print("|---|" + String(repeating: "--:|", count: 6))
    for stage in GroomingStage.allCases.map(\.rawValue) {
        let cells = ["en", "de", "fr"].map { language -> String in
            let c = stageCounts["\(language)/\(stage)"] ?? (0, 0, 0)
            return "\(ratio(c.truePositive, c.truePositive + c.falsePositive)) | \(ratio(c.truePositive, c.truePositive + c.falseNegative))"
        }
        print("| \(stage) | " + cells.joined(separator: " | ") + " |")
    }
}
