import ImbalanceNN

/// The loss of each step of a phase: one loss, or losses that take over at given steps
/// (deferred re-weighting switches LDAM's class weights on at a fixed step). All losses are
/// made before training starts, so switching allocates nothing.
public struct LossSchedule {
    /// (first step, loss), first steps strictly increasing from 0.
    public let stages: [(start: Int, loss: Loss)]

    public init(stages: [(start: Int, loss: Loss)]) {
        precondition(!stages.isEmpty && stages[0].start == 0, "a loss schedule starts at step 0")
        precondition(zip(stages, stages.dropFirst()).allSatisfy { $0.start < $1.start },
                     "loss stages must start at increasing steps")
        self.stages = stages
    }

    public static func constant(_ loss: Loss) -> LossSchedule { LossSchedule(stages: [(0, loss)]) }

    /// Plain cross-entropy: the baseline's loss, on the kernel every earlier record used.
    public static var crossEntropy: LossSchedule { .constant(CrossEntropyLoss()) }

    /// The loss of step `t`.
    @inline(__always)
    public func loss(at t: Int) -> Loss {
        var i = stages.count - 1
        while stages[i].start > t { i -= 1 }
        return stages[i].loss
    }
}
