extension BatchRecord {
    /// What is wrong with the record's files, or nil: its `output` must be a file name in the batch's folder and its
    /// `report` a relative path below it, as a batch writes them. A record read from a manifest is data, and one
    /// naming `../../../../etc/hostname` would make `--merge --report` read that file as a thumbnail.
    public var pathProblem: String? {
        if output.isEmpty || output.contains("/") || output == "." || output == ".." {
            return "its output \(output.debugDescription) is not a file name in the batch's folder"
        }
        if let report, report.isEmpty || report.hasPrefix("/") || report.split(separator: "/").contains("..") {
            return "its report \(report.debugDescription) is not a path inside the batch's folder"
        }
        return nil
    }
}
