import ImbalanceKernels

/// The algorithms a convolution pass can be computed by (one file each, conforming to
/// `ConvolutionAlgorithm`). `ConvolutionPlan` picks one per pass.
///
/// Adding an algorithm: its file (a `ConvolutionAlgorithm`), a case here with its line in
/// `makeAlgorithm()`, and the rule in `ConvolutionPlan.init` that chooses it.
public enum ConvolutionMethod: String, Sendable, CaseIterable {
    /// im2col + GEMM over chunks of images, in bands of output rows, optionally one GEMM
    /// per kernel row (`DirectConvolution`).
    case direct
    /// Winograd F(2x2,3x3) or F(4x4,5x5) over chunks of tiles (`WinogradConvolution`).
    case winograd

    /// Whether the method computes one image at a time when chunks hold one image, and
    /// takes each image's output gradient as it goes, so that a max pooling can run in the
    /// same pass (`ConvolutionPooling`).
    var fusesPooling: Bool {
        switch self {
        case .direct: return true
        case .winograd: return false
        }
    }

    func makeAlgorithm() -> ConvolutionAlgorithm {
        switch self {
        case .direct: return DirectConvolution()
        case .winograd: return WinogradConvolution()
        }
    }
}

/// How a batch of `images` is cut: `chunkCount` chunks of `chunk` images (the last may be
/// shorter), chunk c handled by group c % groups.
///
/// Groups are what `Parallel.forEach` runs on its workers: every group sums its own share
/// of a gradient, and the groups' shares are added in group order at the end. The grouping
/// depends on the batch and the layer only, never on the thread count, so one thread and
/// two give the same bits.
public struct ChunkPlan: Sendable, Equatable {
    public private(set) var images = 0
    public private(set) var chunk = 1
    public private(set) var chunkCount = 0
    public private(set) var groups = 1

    /// Most groups a batch is split into: the most workers a layer can use. A constant, not
    /// the thread count, so that results never depend on the thread count.
    public static let maxGroups = 4

    /// Equal chunks of at most `most` images (64 images with room for 18 go as 4 x 16,
    /// not 18+18+18+10), so that the groups get equal work.
    public init(images n: Int, most: Int) {
        images = n
        guard n > 0 else { return }
        let limit = max(1, min(n, most))
        let count = (n + limit - 1) / limit
        chunk = (n + count - 1) / count
        chunkCount = (n + chunk - 1) / chunk
        groups = min(chunkCount, Self.maxGroups)
    }

    /// Whether the chunk starting at image `start` is the first of its group (which
    /// overwrites the group's gradient share; later chunks add to it).
    @inline(__always)
    func isFirst(start: Int, group: Int) -> Bool { start == group * chunk }

    /// Runs `body(group, worker, start, count)` for every chunk (its first image and
    /// image count), each group's chunks in order on one of `Parallel`'s workers.
    @inline(__always)
    func forEachChunk(_ body: (_ group: Int, _ worker: Int, _ start: Int,
                               _ count: Int) -> Void) {
        let p = self
        Parallel.forEach(groups) { group, worker in
            var c = group
            while c < p.chunkCount {
                let start = c * p.chunk
                body(group, worker, start, min(p.chunk, p.images - start))
                c += p.groups
            }
        }
    }
}

/// The Winograd passes of a 3x3 or 5x5 stride-1 layer: the forward convolution, the
/// adjoint one that gives F(2x2,3x3)'s input gradient (the output gradient convolved with
/// the rotated filters, pad (k - 1) - p), and their common chunking by tiles.
///
/// F(4x4,5x5) takes its input gradient through the forward's tiles instead
/// (`transposesData`): dV = Z U^T from the output gradient's tiles Z, then dX = B dV B^T
/// added over overlapping tiles. Its adjoint would have (OH + 4)^2 / OH^2 times the tiles
/// (nine per image against four for LeNet-5's conv2) and transform F channels, not C.
public struct WinogradPlan: Sendable, Equatable {
    public let forward: WinogradShape
    public let adjoint: WinogradShape
    public let chunks: ChunkPlan

    /// Whether the input gradient goes through the forward's tiles (F(4x4,5x5)) rather
    /// than the adjoint convolution.
    public var transposesData: Bool { forward.kernel == 5 }

    /// Tiles per image that chunks are sized by: the larger of the convolutions' that run.
    public var tilesPerImage: Int {
        transposesData ? forward.tilesPerImage
            : max(forward.tilesPerImage, adjoint.tilesPerImage)
    }
}

/// Everything about how a convolution computes one batch, worked out from shapes and
/// `ConvolutionTuning` alone (a pure value: computing it touches no buffer): the method of
/// each pass, the chunking of the batch, bands of output rows, the kernel-row split, the
/// Winograd tiling, and whether a max pooling after it can run fused. Algorithms execute
/// it; `Convolution.reserve(for:)` sizes their scratch from it.
///
/// Chunks: one image per chunk is the rule (its column matrix stays in cache and its GEMM
/// writes the output in place); only small maps take several, so that no GEMM is narrower
/// than `minimumColumns` (`largeWeightColumns` for large weights); images whose column
/// matrix would not stay in L2 are unfolded in bands of output rows (`bandBudget`).
public struct ConvolutionPlan: Sendable, Equatable {
    /// One image's geometry: (C, H, W) -> (F, OH, OW) with a KH x KW kernel.
    public let geometry: ConvGeometry
    public let filters: Int
    /// The batch in chunks of images for the direct method, and for the bias gradient
    /// whatever the method (so that choosing Winograd changes no bit of it).
    public let chunks: ChunkPlan
    /// Output rows per band of the direct method (all of them when images are not banded).
    public let bandRows: Int
    /// Whether the direct method runs one GEMM per kernel row (`rowGeometry`).
    public let kernelRows: Bool
    /// The Winograd tiling, when some pass goes by Winograd.
    public let winograd: WinogradPlan?
    /// The method of the forward pass, the input gradient and the weight gradient. The
    /// forward and the input gradient go together: they share the tile geometry and rule.
    public let forward: ConvolutionMethod
    public let backwardData: ConvolutionMethod
    public let backwardWeights: ConvolutionMethod
    /// Whether a max pooling after this layer may run in the same pass, image by image.
    public let fusesPooling: Bool

    /// Layers whose weights reach this many floats (1 MiB) get `largeWeightColumns`.
    public static let largeWeights = 262_144

    /// The plan for a batch of `images` images of geometry `g` through `filters` filters.
    public init(geometry g: ConvGeometry, filters: Int, images n: Int,
                tuning t: ConvolutionTuning = .standard) {
        precondition(n >= 0 && filters > 0, "a convolution plan needs filters and a batch")
        precondition(t.invalidKnob == nil, "convolution tuning: \(t.invalidKnob ?? "")")
        geometry = g
        self.filters = filters
        let perImage = g.patchSize * g.outPlane
        let least = filters * g.patchSize >= Self.largeWeights ? t.largeWeightColumns
            : t.minimumColumns
        let fill = (least + g.outPlane - 1) / g.outPlane
        let chunks = ChunkPlan(images: n, most: max(fill, t.columnBudget / max(1, perImage)))
        self.chunks = chunks
        var rows = g.outHeight
        if chunks.chunk == 1 && perImage > t.bandBudget {
            let most = max(1, t.bandBudget / (g.patchSize * g.outWidth))
            let bands = (g.outHeight + most - 1) / most
            rows = (g.outHeight + bands - 1) / bands
        }
        bandRows = rows
        kernelRows = chunks.chunk == 1 && g.strideH == 1 && g.strideW == 1 && g.kernelH > 1
            && Self.wants(t.kernelRows, Self.kernelRowsPay(g))

        let k = g.kernelH, five = k == 5
        let applicable = (k == 3 || k == 5) && g.kernelW == k && g.strideH == 1
            && g.strideW == 1 && g.padH == g.padW && g.padH < k
        let data: Bool, weights: Bool
        if five {
            data = applicable && Self.wants(t.winograd5x5, Self.winograd5x5Pays(g, filters: filters))
            weights = data
        } else {
            data = applicable && Self.wants(t.winograd, Self.winogradPays(g, filters: filters))
            weights = applicable
                && Self.wants(t.winograd, Self.winogradPaysForWeights(g, filters: filters))
        }
        if data || weights {
            let fwd = WinogradShape(channels: g.channels, filters: filters, height: g.height,
                                    width: g.width, pad: g.padH, kernel: k)
            let adj = WinogradShape(channels: filters, filters: g.channels, height: g.outHeight,
                                    width: g.outWidth, pad: k - 1 - g.padH, kernel: k)
            let tiles = five ? fwd.tilesPerImage : max(fwd.tilesPerImage, adj.tilesPerImage)
            let target = t.winogradTiles * 16 / fwd.elements
            winograd = WinogradPlan(forward: fwd, adjoint: adj,
                                    chunks: ChunkPlan(images: n, most: target / tiles))
        } else {
            winograd = nil
        }
        forward = data ? .winograd : .direct
        backwardData = forward
        backwardWeights = weights ? .winograd : .direct
        fusesPooling = t.fusesPooling && n > 0 && chunks.chunk == 1 && forward.fusesPooling
            && backwardData.fusesPooling && backwardWeights.fusesPooling
    }

    public var images: Int { chunks.images }

    /// The methods this plan runs, each once, in pass order.
    public var methods: [ConvolutionMethod] {
        var seen: [ConvolutionMethod] = []
        for m in [forward, backwardData, backwardWeights] where !seen.contains(m) { seen.append(m) }
        return seen
    }

    /// Whether the direct method packs the weights once per pass for its GEMMs (the
    /// forward's W, or the input gradient's W^T when `transposed`) instead of once per
    /// chunk: when there is more than one group (so group 1's weight-gradient scratch can
    /// hold them), no kernel rows, and GEMMs too large to read their operands in place.
    /// A backward pass that needs both gradients then runs the input gradient's chunk loop
    /// before the weight gradient's, which needs that scratch. Packing only moves data and
    /// the two loops make the single loop's calls in the same order, so no bit changes.
    public func packsWeights(transposed: Bool) -> Bool {
        let g = geometry
        guard !kernelRows, chunks.groups >= 2 else { return false }
        let (m, k) = transposed ? (g.patchSize, filters) : (filters, g.patchSize)
        let n = chunks.chunk > 1 ? chunks.chunk * g.outPlane : bandRows * g.outWidth
        return !BLAS.readsInPlace(m: m, n: n, k: k)
    }

    /// With `kernelRows`: the geometry of a 1 x KW kernel over the same input and padding,
    /// whose column matrix (C*KW, (OH+KH-1)*OW) holds every input row once per kernel
    /// column. Kernel row kh's full-im2col rows are this matrix's window of OH*OW columns
    /// starting at kh*OW, so the convolution is KH GEMMs over shifted windows of a matrix KH
    /// times smaller, and col2im folds only along the rows.
    public var rowGeometry: ConvGeometry? {
        guard kernelRows else { return nil }
        let g = geometry
        return ConvGeometry(channels: g.channels, height: g.height, width: g.width,
                            kernelH: 1, kernelW: g.kernelW, strideH: 1, strideW: 1,
                            padH: g.padH, padW: g.padW)
    }

    // MARK: - The measured rules of `ConvolutionTuning.Choice.automatic`

    private static func wants(_ choice: ConvolutionTuning.Choice, _ pays: Bool) -> Bool {
        switch choice {
        case .always: return true
        case .never: return false
        case .automatic: return pays
        }
    }

    /// Where Winograd F(2x2,3x3) beats im2col + GEMM (measured with `imbench bench
    /// --layers` against `--no-winograd`): 3x3 stride-1 layers with enough channels that
    /// the 16 GEMMs dominate the tile transforms (All-CNN's 3-channel conv1 is 3x slower
    /// by Winograd) and outputs at least 16 wide, since the transforms work on eight tiles
    /// of a row at once (All-CNN's 6x6 conv7 is 1.4x slower by Winograd, ResNet's 8x8
    /// blocks about 5% slower). Tiles per chunk: 128 and 256 measured alike on All-CNN,
    /// 512 4% and 1024 10% slower.
    public static func winogradPays(_ g: ConvGeometry, filters: Int) -> Bool {
        g.channels >= 16 && filters >= 16 && g.outWidth >= 16
    }

    /// Where the Winograd weight gradient beats im2col + GEMM (`scripts/bench-kernels`,
    /// backward-weights): on smaller maps than the forward, because its 16 GEMMs sum over
    /// tiles (a long inner dimension) and only the cheap dY transform is added.
    /// ResNet-10's 8x8 blocks: 57 -> 44 ms per batch of 64, 4x4 blocks: 62 -> 42 ms.
    public static func winogradPaysForWeights(_ g: ConvGeometry, filters: Int) -> Bool {
        g.channels >= 16 && filters >= 16 && g.outWidth >= 4
    }

    /// Where Winograd F(4x4,5x5) may replace im2col + GEMM in all three passes of a 5x5
    /// stride-1 layer (with `ConvolutionTuning.winograd5x5` at `.automatic`): enough
    /// channels and filters that its 64 GEMMs dominate the 8x8 tile transforms, as in
    /// LeNet-5's conv2 (20 -> 50); its one-channel conv1 would be all transforms.
    public static func winograd5x5Pays(_ g: ConvGeometry, filters: Int) -> Bool {
        g.channels >= 8 && filters >= 16
    }

    /// Where splitting kernel rows beats one GEMM over the full column matrix (measured
    /// with `imbench bench --layers` against `--no-kernel-rows`): stride-1 layers whose
    /// GEMMs keep an inner dimension C*KW of at least 64.
    public static func kernelRowsPay(_ g: ConvGeometry) -> Bool {
        g.channels * g.kernelW >= 64
    }
}

extension ConvolutionPlan: CustomStringConvertible {
    /// For example "forward direct, data direct, weights winograd; 64 chunks of 1 image
    /// in 4 groups; bands of 8 rows; kernel rows; pooling fused".
    public var description: String {
        var parts = ["forward \(forward.rawValue), data \(backwardData.rawValue), "
                     + "weights \(backwardWeights.rawValue)",
                     "\(chunks.chunkCount) chunks of \(chunks.chunk) image(s) in "
                     + "\(chunks.groups) group(s)"]
        if bandRows < geometry.outHeight { parts.append("bands of \(bandRows) rows") }
        if kernelRows { parts.append("kernel rows") }
        if let w = winograd {
            parts.append("Winograd chunks of \(w.chunks.chunk) image(s) in "
                         + "\(w.chunks.groups) group(s)")
        }
        if fusesPooling { parts.append("pooling fused") }
        return parts.joined(separator: "; ")
    }
}
