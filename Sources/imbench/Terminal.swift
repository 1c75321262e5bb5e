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
            FileHandle.standardError.write(Data(("\r" + text + String(repeating: " ", count: pad)).utf8))
            if p.iteration == p.iterations { finish() }
        } else {
            let decile = p.iteration * 10 / max(1, p.iterations)
            if decile != lastDecile {
                lastDecile = decile
                FileHandle.standardError.write(Data((text + "\n").utf8))
            }
        }
    }

    func finish() {
        if isTTY && width > 0 { FileHandle.standardError.write(Data("\n".utf8)) }
        width = 0
        lastDecile = -1
    }
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data(("imbench: " + message + "\n").utf8))
}

/// Prints a line and flushes at once, so logs of long runs are current when read.
func printFlushed(_ s: String) {
    FileHandle.standardOutput.write(Data((s + "\n").utf8))
}
