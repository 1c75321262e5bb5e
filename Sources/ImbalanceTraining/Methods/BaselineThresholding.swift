extension MethodDefinition {
    /// Thresholding on the baseline's network (`thresholding` is accepted as an alias).
    public static let baselineThresholding = thresholding(
        after: "baseline", name: "baseline+thresholding", label: "Thresholding",
        summary: "the baseline's softmax divided by the class priors before the arg-max",
        reference: "Buda et al. 2018, method 5")
}
