/// Display names for titles and captions, so a figure says "MNIST, LeNet-5" rather than
/// "mnist · lenet5". Unknown ids are shown as they are (a user's dataset keeps its name).
enum Names {
    static let datasets: [String: String] = [
        "mnist": "MNIST", "fashion-mnist": "Fashion-MNIST", "cifar10": "CIFAR-10", "cifar100": "CIFAR-100",
    ]
    static let models: [String: String] = ["lenet5": "LeNet-5", "allcnn": "All-CNN", "resnet10": "ResNet-10"]

    /// "CIFAR-100 (coarse labels)" from the group's dataset text ("cifar100 (coarse labels)").
    static func dataset(_ id: String) -> String {
        if let open = id.firstIndex(of: " ") {
            let base = String(id[..<open])
            return (datasets[base] ?? base) + id[open...]
        }
        return datasets[id] ?? id
    }

    static func model(_ id: String) -> String { models[id] ?? id }

    /// "MNIST, LeNet-5" (plus " (setting 2)" when several settings share the pair).
    static func group(_ g: GroupKey, label: String) -> String {
        var s = "\(dataset(g.dataset)), \(model(g.model))"
        if let r = label.range(of: " (setting ") { s += String(label[r.lowerBound...]) }
        return s
    }

    /// "1 of 10 classes minority" (or "μ = 0.1" without a class count).
    static func minority(mu: Double, classes: Int?) -> String {
        guard let n = classes, mu.isFinite else { return "μ = \(Fmt.number(mu))" }
        let m = Int((mu * Double(n)).rounded())
        return "\(m) of \(n) classes minority (μ = \(Fmt.number(mu)))"
    }

    /// A cell in words: "step imbalance, ρ = 100, 5 of 10 classes minority (μ = 0.5)".
    static func profile(_ p: ProfileSpec, classes: Int?) -> String {
        switch p.kind {
        case "balanced": return "balanced"
        case "step": return "step imbalance, ρ = \(Fmt.number(p.rho)), " + minority(mu: p.mu ?? .nan, classes: classes)
        default: return "\(p.kind) imbalance, ρ = \(Fmt.number(p.rho))"
        }
    }
}
