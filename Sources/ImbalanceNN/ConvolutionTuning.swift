/// How a convolution is computed, never what: the knobs of `ConvolutionPlan` (chunking,
/// banding, kernel rows, Winograd, fused pooling), fixed when the layer is built
/// (`Convolution(..., tuning:)`, `Models.make(..., tuning:)`). Each default is what measured
/// fastest; `imbench bench`'s hidden flags set them for a whole network, and tests force every
/// variant on small shapes. Different settings give results equal to fp32 rounding (they sum
/// in other orders), the same settings the same bits.
public struct ConvolutionTuning: Sendable, Equatable {
    /// Whether an optional method is used.
    public enum Choice: String, Sendable, CaseIterable {
        /// Where its measured rule says it pays (`ConvolutionPlan`'s rules).
        case automatic
        /// Never: to measure what it gains.
        case never
        /// Wherever it applies, whatever the size: for tests of it on any shape.
        case always
    }

    /// Upper bound on one chunk's column matrix, in floats (64 KiB: in practice one image
    /// per chunk, whose GEMM writes the output in place with no reordering or gathering of
    /// the gradient). Measured with `imbench bench --column-budget`: LeNet-5 4,638 images/s
    /// at 16,384 floats vs 4,016 at 262,144 (1 thread), 7,877 vs 6,775 (2 threads).
    public var columnBudget = 16_384
    /// Fewest output positions (GEMM columns) per chunk: small maps (ResNet's 4x4) are
    /// batched until a GEMM is this wide, whatever the budget.
    public var minimumColumns = 64
    /// The same floor for layers whose weights reach `ConvolutionPlan.largeWeights` floats
    /// (1 MiB, the L2): OpenBLAS packed the whole weight matrix at every call, which a wider
    /// GEMM amortises. ResNet-10's 8x8 and 4x4 blocks: 59 -> 60-63 images/s on 1 thread
    /// (engine 0.4.0 on OpenBLAS, `imbench bench --model resnet10 --minimum-columns 128`,
    /// alternating with 64).
    public var largeWeightColumns = 128
    /// Upper bound, in floats, on the column matrix of one band of output rows, for images
    /// whose whole column matrix exceeds it: such an image is unfolded and multiplied band
    /// by band, so that its columns stay in L2 (ResNet's and All-CNN's 32x32 layers: 2.4
    /// and 3.5 MB per image otherwise). 1 MiB, the L2: at 512 KiB, All-CNN's stride-2
    /// conv3 (884 KB per image) went in two bands of GEMMs half as wide, and its forward
    /// took 38 instead of 35 ms per batch (`imbench bench --layers --band-budget`).
    public var bandBudget = 262_144
    /// When the direct method splits the kernel's rows into GEMMs of their own
    /// (`ConvolutionPlan.kernelRowsPay`; `always` applies to every stride-1 layer whose
    /// images go one per chunk).
    public var kernelRows = Choice.automatic
    /// When passes go by Winograd F(2x2,3x3) (`ConvolutionPlan.winogradPays` and
    /// `winogradPaysForWeights`; `always` applies to every 3x3 stride-1 layer).
    public var winograd = Choice.automatic
    /// When passes of 5x5 stride-1 layers go by Winograd F(4x4,5x5)
    /// (`ConvolutionPlan.winograd5x5Pays`). Off in the standard tuning: it changes those
    /// layers' numbers (fp32 rounding of a few 1e-6 relative instead of 1e-7), so turning it
    /// on is a new engine version and a retraining of the committed records; `imbench bench
    /// --winograd-5x5` measures it meanwhile.
    public var winograd5x5 = Choice.never
    /// Target output tiles per Winograd F(2x2,3x3) chunk (images * tiles per image);
    /// F(4x4,5x5)'s chunks hold a quarter as many, the same floats (64 elements per tile
    /// instead of 16).
    public var winogradTiles = 256
    /// Whether a max pooling right after the convolution runs in the same pass, image by
    /// image (`ConvolutionPooling`), where the plan allows it. Off, the two layers run one
    /// after the other: the same arithmetic, so the same bits.
    public var fusesPooling = true

    public init(columnBudget: Int = 16_384, minimumColumns: Int = 64,
                largeWeightColumns: Int = 128, bandBudget: Int = 262_144,
                kernelRows: Choice = .automatic, winograd: Choice = .automatic,
                winograd5x5: Choice = .never, winogradTiles: Int = 256,
                fusesPooling: Bool = true) {
        self.columnBudget = columnBudget; self.minimumColumns = minimumColumns
        self.largeWeightColumns = largeWeightColumns; self.bandBudget = bandBudget
        self.kernelRows = kernelRows; self.winograd = winograd; self.winograd5x5 = winograd5x5
        self.winogradTiles = winogradTiles; self.fusesPooling = fusesPooling
    }

    /// The measured defaults, what every model is built with unless told otherwise.
    public static let standard = ConvolutionTuning()

    /// The knobs that must be positive, by name, for error messages.
    public var counts: [(name: String, value: Int)] {
        [("columnBudget", columnBudget), ("minimumColumns", minimumColumns),
         ("largeWeightColumns", largeWeightColumns), ("bandBudget", bandBudget),
         ("winogradTiles", winogradTiles)]
    }

    /// Names the first knob that is not positive, or nil when every knob is valid.
    public var invalidKnob: String? {
        counts.first { $0.value < 1 }.map { "\($0.name) must be at least 1 (got \($0.value))" }
    }
}
