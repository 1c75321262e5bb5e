import ImbalanceData

extension TrainingRecipe {
    /// ROS's and RUS's training set: `sampler` to full balance, or to the job's
    /// `samplerRatio` (the paper's section 4.5), from the sampler stream.
    static func randomResampling(_ sampler: Sampler) -> TrainingRecipe {
        TrainingRecipe(trainingSet: { context, data, imbalanced, rng in
            TrainingSet(indices: try resample(imbalanced, labels: data.labels, classCount: data.classCount,
                                              sampler: sampler,
                                              target: context.samplerRatio.map { .ratio($0) } ?? .balance, rng: &rng))
        }, supportsRatio: true)
    }
}
