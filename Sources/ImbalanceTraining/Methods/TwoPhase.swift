import ImbalanceNN

extension MethodDefinition {
    /// Buda et al.'s two-phase training after `base` (ROS or RUS): fine-tune only the last
    /// layer(s) (`Models.fineTunedLayers`) on the imbalanced set, same iterations, schedule
    /// and batches, base rate x 0.1, momentum from rest. Recorded as `twoPhase` and under
    /// the phase name "phase2", as before the registry.
    static func twoPhase(after base: String, name: String, label: String, reference: String) -> MethodDefinition {
        MethodDefinition(
            name: name, label: label, family: .twoStage,
            summary: "after \(base), fine-tune the last layer(s) on the imbalanced set at a tenth of the rate",
            reference: reference, inBuda2018: true, recording: .twoPhaseFlag,
            role: .phase(base: base, PhaseRecipe(
                phaseName: "phase2", orderPurpose: "order-phase2", dropoutPurpose: "dropout-phase2",
                augmentPurpose: "augment-phase2",
                trainableLayers: { Models.fineTunedLayers(model: $0) },
                learningRateFactor: { _ in 0.1 })))
    }
}
