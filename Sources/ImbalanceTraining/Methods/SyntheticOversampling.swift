import ImbalanceData

extension MethodDefinition {
    /// A training method that grows every class with `sampler`'s synthetic images (see
    /// `SyntheticOversampler` for the rules and their differences from imbalanced-learn).
    static func synthetic(_ name: String, label: String, summary: String, reference: String,
                          parameters: [MethodParameter],
                          sampler: @escaping @Sendable (MethodParameters) -> SyntheticOversampler) -> MethodDefinition {
        MethodDefinition(
            name: name, label: label, family: .synthetic, summary: summary, reference: reference,
            parameters: parameters,
            role: .training(TrainingRecipe(trainingSet: { context, images, imbalanced, rng in
                guard let data = images as? ImageDataset else {
                    throw MethodError("\(name) interpolates between images, so it needs them in memory; \(images.name) is decoded batch by batch")
                }
                let made = try oversample(imbalanced, in: data, classCount: data.classCount,
                                          with: sampler(context.parameters), rng: &rng).images
                return TrainingSet(indices: imbalanced + Array(data.count..<(data.count + made.count)),
                                   synthetic: made)
            })))
    }

    static let kNeighbours = MethodParameter.integer("k", 5, min: 1, "nearest neighbours of the same class to interpolate towards")
    static let mNeighbours = MethodParameter.integer("m", 10, min: 1, "nearest neighbours in the whole set for the danger test")
}
