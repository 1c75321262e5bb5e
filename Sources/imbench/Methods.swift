import ArgumentParser
import ImbalanceTraining

/// `imbench methods`: the method registry, as configs and `train --method` accept it.
struct MethodsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "methods",
        abstract: "List every method with its family, what it does, its hyperparameters (defaults) and its source.",
        discussion: """
        Use the names in a sweep config (methods: [baseline, {focal: {gamma: 1}}, cRT]) or with \
        imbench train --method NAME --param KEY=VALUE. Methods that reuse another method's \
        network (thresholding, two-phase training, cRT, post-hoc adjustments) are evaluated in \
        that method's job.
        """)

    @Argument(help: "Show only these methods.") var names: [String] = []

    func run() throws {
        var selected = MethodRegistry.all
        if !names.isEmpty {
            selected = try names.map { name in
                do { return try MethodRegistry.lookup(name) } catch { throw ValidationError("\(error)") }
            }
        }
        for m in selected {
            var role: String
            switch m.role {
            case .training: role = "trains its own network"
            case .phase(let base, _): role = "continues training the network of \(base)"
            case .postHoc(let base, let decides, _):
                role = "re-evaluates the network of \(base)" + (decides ? " (decisions only: AUC unchanged)" : "")
            }
            print("\(m.name)  [\(m.family.rawValue)]  \(m.label)")
            print("    \(m.summary)")
            print("    \(role); \(m.reference)")
            for p in m.parameters {
                print("    \(p.key) = \(p.defaultValue)  (\(p.typeDescription)): \(p.meaning)")
            }
        }
        if names.isEmpty { print("\(selected.count) methods; alias: thresholding = baseline+thresholding") }
    }
}
