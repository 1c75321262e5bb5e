extension MethodDefinition {
    public static let twoPhaseROS = twoPhase(after: "ROS", name: "two-phase-ROS", label: "Two-phase ROS",
                                             reference: "Buda et al. 2018, method 3")
}
