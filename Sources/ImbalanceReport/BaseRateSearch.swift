import Foundation
import ImbalanceRecords

/// The paper's base-rate search for All-CNN (several base rates, each trained more than
/// once, the best kept): a sweep with `learningRates` trains every job once per rate, and
/// the report keeps, for every cell and sampler, the rate whose runs have the best mean
/// multi-class AUC of the sampler's own method (ties: the smaller rate). The other rates'
/// records are listed, not averaged in. Selecting on the test set is what the paper did;
/// the section says so, because it flatters every method alike.
enum BaseRateSearch {
    /// Stands for "chosen by the search" in a kept record's `baseLearningRate` (validation
    /// rejects rates <= 0, so no real job has it), so searched cells share one table group.
    static let searchedRate = 0.0

    struct Choice {
        var cell: String
        var meanAUCByRate: [(rate: Double, meanAUC: Double, runs: Int)]
        var chosen: Double
    }

    static func apply(_ records: [RunRecord]) -> (records: [RunRecord], choices: [Choice]) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        func key(_ c: JobConfig) -> String {
            var k = c
            k.baseLearningRate = searchedRate; k.repetition = 0; k.baseSeed = 0; k.threads = 0
            return (try? encoder.encode(k)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        }
        var byKey: [String: [RunRecord]] = [:]
        for r in records { byKey[key(r.config), default: []].append(r) }
        var kept: [RunRecord] = []
        var choices: [Choice] = []
        for k in byKey.keys.sorted() {
            let group = byKey[k]!
            let rates = Set(group.map(\.config.baseLearningRate)).sorted()
            guard rates.count > 1 else { kept += group; continue }
            let c = group[0].config
            let method = c.sampler == "none" ? "baseline" : c.sampler
            var table: [(rate: Double, meanAUC: Double, runs: Int)] = []
            for rate in rates {
                let aucs = group.filter { $0.config.baseLearningRate == rate && $0.status == "finished" }
                    .compactMap { $0.results[method]?.multiClassAUC }.filter(\.isFinite)
                table.append((rate, aucs.isEmpty ? -.infinity : aucs.reduce(0, +) / Double(aucs.count), aucs.count))
            }
            // Strictly better only, scanning from the smallest rate: ties keep the smaller.
            var best = table[0]
            for row in table.dropFirst() where row.meanAUC > best.meanAUC { best = row }
            for var r in group where r.config.baseLearningRate == best.rate {
                r.config.baseLearningRate = searchedRate
                kept.append(r)
            }
            var cell = "\(c.profile.kind)"
            if c.profile.kind != "balanced" { cell += " ρ=\(Fmt.number(c.profile.rho))" }
            if let mu = c.profile.mu { cell += " μ=\(Fmt.number(mu))" }
            cell += ", \(method)" + (c.samplerRatio.map { " to ρ'=\(Fmt.number($0))" } ?? "")
            choices.append(Choice(cell: cell, meanAUCByRate: table, chosen: best.rate))
        }
        return (kept, choices)
    }

    static func markdown(_ choices: [Choice]) -> String {
        guard !choices.isEmpty else { return "" }
        var md = "## Base-rate search\n\n"
        md += "Each cell and sampler was trained at several base learning rates; the tables below use, per cell "
        md += "and sampler, the rate with the best mean multi-class AUC of the sampler's own method (as the paper, "
        md += "which kept the best of its runs on the test set; ties keep the smaller rate). Records at the other "
        md += "rates are counted in Runs but not averaged in.\n\n"
        let rates = Set(choices.flatMap { $0.meanAUCByRate.map(\.rate) }).sorted()
        md += "| Cell | " + rates.map { "AUC at lr \(Fmt.number($0))" }.joined(separator: " | ") + " | Chosen |\n"
        md += "|---|" + rates.map { _ in "---:|" }.joined() + "---:|\n"
        for c in choices.sorted(by: { $0.cell < $1.cell }) {
            let cols = rates.map { rate -> String in
                guard let row = c.meanAUCByRate.first(where: { $0.rate == rate }) else { return "" }
                return row.runs == 0 ? "– (n=0)" : String(format: "%.4f (n=%d)", row.meanAUC, row.runs)
            }
            md += "| \(Fmt.cell(c.cell)) | " + cols.joined(separator: " | ") + " | \(Fmt.number(c.chosen)) |\n"
        }
        return md + "\n"
    }
}
