extension MethodDefinition {
    /// Thresholding on the ROS network, with the priors of the set before oversampling.
    public static let rosThresholding = thresholding(
        after: "ROS", name: "ROS+thresholding", label: "ROS + thr.",
        summary: "thresholding on the ROS network (priors counted before oversampling)",
        reference: "Buda et al. 2018, method 6")
}
