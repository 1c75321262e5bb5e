extension MethodDefinition {
    /// Thresholding on the RUS network, with the priors of the set before undersampling
    /// (usually harmful, as the paper reports).
    public static let rusThresholding = thresholding(
        after: "RUS", name: "RUS+thresholding", label: "RUS + thr.",
        summary: "thresholding on the RUS network (priors counted before undersampling)",
        reference: "Buda et al. 2018, method 7")
}
