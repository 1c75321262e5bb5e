import Foundation
import ImbalanceSweep
import ImbalanceTraining

/// Progress output on standard error: a line rewritten in place on a terminal, and a line
/// every tenth of the run otherwise (so logs of batch jobs stay short).
final class ProgressLine {
    private let isTTY = isatty(STDERR_FILENO) == 1
    private var lastDecile = -1
    private var width = 0
    let enabled: Bool

    init(enabled: Bool = true) { self.enabled = enabled }

    func update(prefix: String, _ p: TrainingProgress) {
        guard enabled else { return }
        let text = String(format: "%@iter %d/%d  loss %.4f  lr %.5f  %.0f img/s  ETA %@",
                          prefix, p.iteration, p.iterations, p.loss, p.learningRate,
                          p.imagesPerSecond, formatSeconds(p.etaSeconds))
        if isTTY {
            let pad = max(0, width - text.count)
            width = text.count
            writeIgnoringErrors(.standardError, "\r" + text + String(repeating: " ", count: pad))
            if p.iteration == p.iterations { finish() }
        } else {
            let decile = p.iteration * 10 / max(1, p.iterations)
            if decile != lastDecile {
                lastDecile = decile
                writeIgnoringErrors(.standardError, text + "\n")
            }
        }
    }

    func finish() {
        if isTTY && width > 0 { writeIgnoringErrors(.standardError, "\n") }
        width = 0
        lastDecile = -1
    }
}

func printError(_ message: String) {
    writeIgnoringErrors(.standardError, "imbench: " + message + "\n")
}

/// Prints a line and flushes at once, so logs of long runs are current when read.
func printFlushed(_ s: String) {
    writeIgnoringErrors(.standardOutput, s + "\n")
}

/// Writes to standard output or error and carries on if the write fails.
///
/// `FileHandle.write(_:)` traps (a `try!` inside Foundation) when the write fails, so a
/// sweep whose output is redirected to a full disk (`> results/NAME/sweep.log`), or a worker
/// whose job log is on one, would die with a backtrace instead of reporting the full disk
/// through the write that matters (a record or spec, which names its path).
func writeIgnoringErrors(_ handle: FileHandle, _ text: String) {
    try? handle.write(contentsOf: Data(text.utf8))
}
