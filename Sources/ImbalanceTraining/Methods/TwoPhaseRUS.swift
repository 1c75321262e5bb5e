extension MethodDefinition {
    public static let twoPhaseRUS = twoPhase(after: "RUS", name: "two-phase-RUS", label: "Two-phase RUS",
                                             reference: "Buda et al. 2018, method 4")
}
