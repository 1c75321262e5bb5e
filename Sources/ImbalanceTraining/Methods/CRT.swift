import ImbalanceNN

extension MethodDefinition {
    /// Classifier re-training: after the baseline's instance-balanced training, re-initialise
    /// the last layer (`Models.classifierLayer`) and train it alone, features frozen, on
    /// class-balanced batches of the imbalanced set (class-aware sampling with 4 examples
    /// per class draw, as Kang et al.'s cRT configs), cross-entropy, restarting at the job's
    /// base rate (their stage-2 rate equals stage 1's). Buda's two-phase training is the
    /// reverse: balanced first, then the imbalanced set.
    public static let cRT = MethodDefinition(
        name: "cRT", label: "cRT", family: .twoStage,
        summary: "after the baseline, re-initialise the classifier and retrain it alone on class-balanced batches",
        reference: "Kang et al. 2020, Decoupling representation and classifier (classifier re-training)",
        parameters: [
            .integer("samplesPerClass", 4, min: 1, "consecutive examples per class draw of the class-aware batches"),
            .real("learningRate", 1, min: 0, openMin: true, "base rate of the re-training as a multiple of the job's"),
            .real("iterations", 1, min: 0, max: 1, openMin: true,
                  "length as a fraction of the first stage's (schedule stretched to it; Kang et al.: 10 of 90 epochs)"),
        ],
        role: .phase(base: "baseline", PhaseRecipe(
            phaseName: "cRT", orderPurpose: "order-cRT", dropoutPurpose: "dropout-cRT",
            augmentPurpose: "augment-cRT", initPurpose: "init-cRT",
            trainableLayers: { [Models.classifierLayer(model: $0)] },
            learningRateFactor: { $0.parameters.number("learningRate") },
            iterationFraction: { $0.parameters.number("iterations") },
            batches: { .classAware(samplesPerClass: $0.parameters.integer("samplesPerClass")) })))
}
