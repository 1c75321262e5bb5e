import ImbalanceNN
#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif

extension MethodDefinition {
    /// tau-normalisation of the baseline's classifier: each class's weight vector w_j of the
    /// last layer (`Models.classifierLayer`) becomes w_j / |w_j|^tau and the bias is dropped,
    /// then the test set is run again. Kang et al. choose tau on a validation split; the
    /// protocol has none, so tau is a hyperparameter (1: every class vector of unit length).
    public static let tauNorm = MethodDefinition(
        name: "tau-norm", label: "τ-norm", family: .postHoc,
        summary: "the baseline's last-layer class vectors divided by their norm^tau, bias dropped",
        reference: "Kang et al. 2020, Decoupling representation and classifier (tau-normalised classifier)",
        parameters: [.real("tau", 1, min: 0, "power of the norm; 0 keeps the weights (bias still dropped)")],
        role: .postHoc(base: "baseline", decidesOnly: false, PostHocRecipe(
            decision: { _ in .argmax },
            reweigh: { context, network in
                let tau = context.parameters.number("tau")
                let name = Models.classifierLayer(model: context.model)
                guard let layer = network.layers.first(where: { $0.name == name }),
                      let weight = layer.parameters.first(where: { $0.name.hasSuffix(".weight") }) else {
                    preconditionFailure("no classifier layer '\(name)' with weights")
                }
                let rows = weight.value.shape[0], cols = weight.value.count / rows
                for j in 0..<rows {
                    let w = weight.value.pointer + j * cols
                    var s = 0.0
                    for i in 0..<cols { s += Double(w[i]) * Double(w[i]) }
                    let f = s > 0 ? pow(s.squareRoot(), -tau) : 1
                    for i in 0..<cols { w[i] = Float(Double(w[i]) * f) }
                }
                layer.parameters.first(where: { $0.name.hasSuffix(".bias") })?.value.zero()
            })))
}
