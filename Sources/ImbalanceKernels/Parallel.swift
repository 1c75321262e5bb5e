import Dispatch

/// The engine's own data parallelism: work is cut into a fixed number of independent
/// pieces (image groups, planes, output rows) and the pieces are spread over `threads`
/// workers. The GEMM each piece calls is single-threaded.
///
/// Why not OpenBLAS threads: the study's GEMMs are small (LeNet's largest is 50x512x500),
/// and OpenBLAS splitting each of them in two costs more than it saves (measured: LeNet-5
/// batch 64 trains slower on two BLAS threads than on one). Splitting the mini-batch keeps
/// every GEMM at its one-thread shape and runs the im2col, bias and pooling passes in
/// parallel too.
///
/// Determinism: callers choose how many pieces there are and what each computes without
/// looking at `threads`; pieces that feed one sum (a weight gradient) are reduced in piece
/// order afterwards. The thread count therefore changes the speed, never a single bit.
public enum Parallel {
    /// Workers used by `forEach`. Set once at start-up (`imbench train/bench/sweep
    /// --threads`), before any training; 1 runs everything on the calling thread.
    nonisolated(unsafe) public static var threads = 1

    /// Sets the engine's worker count.
    public static func configure(threads: Int) {
        self.threads = max(1, threads)
    }

    /// Runs `body(piece, worker)` for every piece in 0..<count. Worker w takes pieces
    /// w, w+W, ... (W = min(threads, count)), a fixed assignment: scratch buffers indexed by
    /// `worker` are touched by one thread only, and results must not depend on `worker`.
    @inline(__always)
    public static func forEach(_ count: Int, _ body: (_ piece: Int, _ worker: Int) -> Void) {
        let workers = min(threads, count)
        if workers <= 1 {
            for piece in 0..<count { body(piece, 0) }
            return
        }
        withoutActuallyEscaping(body) { body in
            let task = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                var piece = worker
                while piece < count { task.value(piece, worker); piece += workers }
            }
        }
    }

    /// Workers `forEach(count)` uses: the number of per-worker scratch buffers to size.
    public static func workers(for count: Int) -> Int { max(1, min(threads, count)) }

    /// Splits 0..<total into `pieces` contiguous ranges of near-equal size (the first
    /// `total % pieces` one longer), for loops over planes, rows or elements.
    @inline(__always)
    public static func range(_ piece: Int, of pieces: Int, total: Int) -> Range<Int> {
        let base = total / pieces, extra = total % pieces
        let start = piece * base + min(piece, extra)
        return start..<(start + base + (piece < extra ? 1 : 0))
    }

    /// Runs `body` on `pieces` contiguous ranges of 0..<total (`range(_:of:total:)`), one
    /// piece per `forEach` step.
    @inline(__always)
    public static func forEachRange(_ total: Int, pieces: Int, _ body: (Range<Int>) -> Void) {
        forEach(pieces) { piece, _ in body(range(piece, of: pieces, total: total)) }
    }

    /// Runs `body` on ranges of 0..<count split across the workers, for elementwise loops
    /// (each element computed alike whatever the split).
    @inline(__always)
    public static func elementwise(_ count: Int, _ body: (Range<Int>) -> Void) {
        forEachRange(count, pieces: pieces(forElements: count), body)
    }

    /// Pieces for a loop of `total` cheap items (elementwise passes): enough to keep every
    /// worker busy, few enough that dispatch costs nothing next to the work.
    public static func pieces(forElements total: Int, grain: Int = 16_384) -> Int {
        max(1, min(threads, total / grain))
    }
}

/// Hands a closure that the caller knows is safe to run concurrently (each worker touches
/// disjoint memory) across the Sendable boundary of `concurrentPerform`.
struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
