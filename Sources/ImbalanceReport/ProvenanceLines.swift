/// The Runs section's account of where the records came from (`RunRecord.provenance`):
/// which machines and libraries produced them and the SHA-256 of every data file they
/// parsed. Paths are reduced to file names, so a report does not depend on where a machine
/// keeps its data; records appear under the first of their sorted ids.
enum ProvenanceLines {
    static func markdown(_ records: [RunRecord]) -> String {
        var md = ""
        var machines: [String: Int] = [:]
        var files: [String: (name: String, bytes: Int, sha: String)] = [:]
        var without = 0
        for r in records {
            guard let p = r.provenance else { without += 1; continue }
            let blas = p.openBLAS.map { "OpenBLAS \($0.version) \($0.core)" + ($0.pinned != nil ? " (pinned)" : "") }
                ?? "OpenBLAS not loaded"
            let key = "\(p.cpu.model) (\(p.cpu.vendor), family \(p.cpu.family) model \(p.cpu.modelNumber), \(p.cpu.isa)); "
                + "engine \(p.engineVersion), GEMM path \(p.gemmPath), \(blas), Swift \(p.swiftCompiler), \(p.cLibrary)"
            machines[key, default: 0] += 1
            for f in p.dataFiles {
                let name = f.path.split(separator: "/").last.map(String.init) ?? f.path
                files["\(name) \(f.sha256)"] = (name, f.bytes, f.sha256)
            }
        }
        for (key, n) in machines.sorted(by: { $0.key < $1.key }) {
            md += "- Machine: \(Fmt.inline(key)): \(n) record\(n == 1 ? "" : "s")\n"
        }
        if without > 0 {
            md += "- \(without) record\(without == 1 ? "" : "s") without machine fields (written before engine 0.5.0)\n"
        }
        if !files.isEmpty {
            md += "- Data files read (SHA-256 of the parsed content):"
            for f in files.values.sorted(by: { ($0.name, $0.sha) < ($1.name, $1.sha) }) {
                md += " \(Fmt.inline(f.name)) (\(f.bytes) bytes) `\(f.sha)`;"
            }
            md.removeLast()
            md += "\n"
        }
        return md
    }
}
