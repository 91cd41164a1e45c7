public import VigilDomain

extension ImportBatch {
    /// One step of applying a batch in its input's order: a run of records, then the item
    /// tombstones that came after them.
    public struct Step: Sendable {
        /// The records of the run (possibly none).
        public var records: ArraySlice<IndicatorRecord>
        /// The tombstones that follow them (possibly none).
        public var deletions: [ItemDeletion]
    }

    /// The records and item tombstones in the order the input had them
    /// (``ItemDeletion/afterRecords``; a tombstone without it comes after every record), so that an
    /// item put, deleted and put again within one page is left with its last put, and one put then
    /// deleted is left deleted. A batch without tombstones between records is one step.
    public var steps: [Step] {
        let count = records.count
        let ordered = itemDeletions.enumerated().sorted { left, right in
            let (a, b) = (min(left.element.afterRecords ?? count, count), min(right.element.afterRecords ?? count, count))
            return a != b ? a < b : left.offset < right.offset
        }.map(\.element)
        var steps: [Step] = []
        var start = 0
        var index = 0
        while index < ordered.count {
            let position = max(start, min(ordered[index].afterRecords ?? count, count))
            var deletions: [ItemDeletion] = []
            while index < ordered.count, max(start, min(ordered[index].afterRecords ?? count, count)) == position {
                deletions.append(ordered[index])
                index += 1
            }
            steps.append(Step(records: records[start..<position], deletions: deletions))
            start = position
        }
        if start < count || steps.isEmpty { steps.append(Step(records: records[start..<count], deletions: [])) }
        return steps
    }
}
