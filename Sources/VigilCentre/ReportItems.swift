public import VigilDomain
public import VigilStore

/// A report's files as items: what the store links by (the hashes each file is known by, declared
/// or computed from its bytes), and whether people classified every one of them already.
public enum ReportItems {
    /// The files of `report` to link, with the hashes the Centre computed from the bytes that came
    /// (`stored`) preferred over the declared ones.
    public static func linkedFiles(_ report: Report, stored: [NewReportFile]) -> [LinkedFile] {
        report.files.map { file in
            let computed = stored.first { $0.reference == file.reference }?.hashes
            return LinkedFile(
                reference: file.reference, sha256: computed?.sha256 ?? file.hash(.sha256)?.lowercased(),
                md5: computed?.md5 ?? file.hash(.md5)?.lowercased(), pdq: computed?.pdq ?? file.hash(.pdq)?.lowercased(),
                flaggedViral: ReportLinking.flaggedViral(file))
        }
    }

    /// When `report` is about material and every file's item was classified illegal everywhere by
    /// a person, the audit detail naming those items; otherwise nil (the report goes to the queue).
    public static func allConfirmed(_ report: Report, _ links: ReportLinks) -> String? {
        guard report.type == .knownMaterial || report.type == .newMaterial, !report.files.isEmpty else { return nil }
        var named: [String] = []
        for file in report.files {
            guard let item = links.items[file.reference], item.verdict?.classification == .illegalEverywhere else { return nil }
            named.append("\(file.reference): item \(item.id) (classified by \(item.classifiedBy ?? "?"))")
        }
        return "items classified before: " + named.joined(separator: "; ")
    }
}
