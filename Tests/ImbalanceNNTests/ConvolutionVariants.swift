import XCTest
import ImbalanceKernels
import ImbalanceRandom
import ImbalanceReferences
@testable import ImbalanceNN

/// Every way the convolution can compute, each forced on a small shape by a
/// `ConvolutionTuning`, with what its plan must show for the variant to be the one named
/// (so that a change of the plan's rules cannot silently turn a test into another test).
/// `ConvolutionReferenceTests` compares each with the naive references, the gradient
/// checker checks each by finite differences.
struct ConvolutionVariant: CustomStringConvertible {
    let name: String
    let filters: Int
    let kernel: Int
    var stride = 1
    var padding = 0
    var bias = true
    /// (N, C, H, W).
    let input: [Int]
    var tuning = ConvolutionTuning.standard
    /// A max pooling (kernel, stride) fused after the convolution.
    var pooling: (kernel: Int, stride: Int)?
    /// What the plan must be, as a list of (what, holds).
    let expect: (ConvolutionPlan) -> [(String, Bool)]
    /// Small enough for the finite-difference checker (two forward passes per input and
    /// parameter element).
    var finiteDifferences = true

    var description: String { name }

    func make(name: String = "conv") -> Convolution {
        Convolution(name: name, inputChannels: input[1], filters: filters, kernel: kernel,
                    stride: stride, padding: padding, bias: bias, tuning: tuning)
    }

    /// The convolution alone, or with its pooling fused (`ConvolutionPooling`).
    func makeLayer() -> (layer: Layer, convolution: Convolution) {
        let conv = make()
        guard let pooling else { return (conv, conv) }
        return (ConvolutionPooling(conv, MaxPool(name: "pool", kernel: pooling.kernel,
                                                 stride: pooling.stride)), conv)
    }

    var referenceShape: Reference.ConvolutionShape {
        Reference.ConvolutionShape(inputChannels: input[1], filters: filters, kernel: kernel,
                                   stride: stride, padding: padding, height: input[2],
                                   width: input[3])
    }

    /// Fails the calling test unless the reserved plan is this variant's.
    func assertPlan(_ plan: ConvolutionPlan?, file: StaticString = #filePath, line: UInt = #line) {
        guard let plan else { return XCTFail("\(name): no plan reserved", file: file, line: line) }
        for (what, holds) in expect(plan) {
            XCTAssertTrue(holds, "\(name): expected \(what); plan: \(plan)", file: file, line: line)
        }
    }
}

/// Plan expectations, readable in the table below.
private func direct(_ p: ConvolutionPlan) -> [(String, Bool)] {
    [("every pass direct", p.forward == .direct && p.backwardData == .direct
        && p.backwardWeights == .direct && p.winograd == nil)]
}
private func winogradAll(_ p: ConvolutionPlan) -> [(String, Bool)] {
    [("every pass by Winograd", p.forward == .winograd && p.backwardData == .winograd
        && p.backwardWeights == .winograd)]
}
private func oneImagePerChunk(_ p: ConvolutionPlan) -> [(String, Bool)] {
    [("one image per chunk", p.chunks.chunk == 1 && p.chunks.chunkCount == p.images)]
}
private func whole(_ p: ConvolutionPlan) -> [(String, Bool)] {
    [("whole images (no bands)", p.bandRows == p.geometry.outHeight)]
}
private func banded(_ p: ConvolutionPlan) -> [(String, Bool)] {
    [("bands of output rows", p.bandRows < p.geometry.outHeight)]
}
private func rows(_ on: Bool) -> (ConvolutionPlan) -> [(String, Bool)] {
    { [(on ? "kernel rows" : "no kernel rows", $0.kernelRows == on)] }
}
private func groups(_ n: Int) -> (ConvolutionPlan) -> [(String, Bool)] {
    { [("\(n) groups", $0.chunks.groups == n)] }
}
private func allOf(_ parts: ((ConvolutionPlan) -> [(String, Bool)])...)
    -> (ConvolutionPlan) -> [(String, Bool)] {
    { p in parts.flatMap { $0(p) } }
}

extension ConvolutionVariant {
    /// Forces the direct method with whole images, one per chunk, no kernel rows.
    private static let plainDirect = ConvolutionTuning(columnBudget: 1, minimumColumns: 1,
                                                       kernelRows: .never, winograd: .never)

    static var all: [ConvolutionVariant] {
        var v: [ConvolutionVariant] = []
        v.append(ConvolutionVariant(
            name: "direct, one image per chunk, whole images", filters: 3, kernel: 3,
            padding: 1, input: [3, 2, 7, 6], tuning: plainDirect,
            expect: allOf(direct, oneImagePerChunk, whole, rows(false), groups(3))))
        var chunked = plainDirect
        chunked.columnBudget = 2 * 18 * 16
        v.append(ConvolutionVariant(
            name: "direct, two images per chunk, partial last chunk, 4 groups", filters: 3,
            kernel: 3, padding: 1, input: [11, 2, 4, 4], tuning: chunked,
            expect: allOf(direct, groups(4)) + { p in
                [("chunks of 2, six of them", p.chunks.chunk == 2 && p.chunks.chunkCount == 6)]
            }))
        var packedChunks = plainDirect
        packedChunks.columnBudget = 2 * 144 * 324
        v.append(ConvolutionVariant(
            name: "direct, weights packed once per pass, chunks of 2 images", filters: 96,
            kernel: 3, padding: 1, input: [5, 16, 18, 18], tuning: packedChunks,
            expect: allOf(direct, groups(3)) + { p in
                [("chunks of 2", p.chunks.chunk == 2),
                 ("W packed once for the forward", p.packsWeights(transposed: false)),
                 ("W^T packed once for the input gradient", p.packsWeights(transposed: true))]
            }, finiteDifferences: false))
        v.append(ConvolutionVariant(
            name: "direct, weights packed once per pass, one image per chunk", filters: 64,
            kernel: 3, padding: 1, input: [3, 32, 16, 16], tuning: plainDirect,
            expect: allOf(direct, oneImagePerChunk, whole, rows(false), groups(3)) + { p in
                [("W packed once for the forward", p.packsWeights(transposed: false))]
            }, finiteDifferences: false))
        var bands = plainDirect
        bands.bandBudget = 27 * 9 * 2
        v.append(ConvolutionVariant(
            name: "direct, bands of two rows", filters: 4, kernel: 3, padding: 1,
            input: [3, 3, 11, 9], tuning: bands,
            expect: allOf(direct, oneImagePerChunk, banded, rows(false))))
        var padlessBands = plainDirect
        padlessBands.bandBudget = 27 * 7 * 2
        v.append(ConvolutionVariant(
            name: "direct, pad 0, bands of two rows", filters: 4, kernel: 3,
            input: [3, 3, 11, 9], tuning: padlessBands,
            expect: allOf(direct, oneImagePerChunk, banded, rows(false))))
        var stridedBands = plainDirect
        stridedBands.bandBudget = 27 * 5 * 2
        v.append(ConvolutionVariant(
            name: "direct, stride 2, bands", filters: 4, kernel: 3, stride: 2, padding: 1,
            input: [3, 3, 11, 9], tuning: stridedBands,
            expect: allOf(direct, oneImagePerChunk, banded)))
        var kernelRows = plainDirect
        kernelRows.kernelRows = .always
        v.append(ConvolutionVariant(
            name: "kernel rows, 3x3 pad 1", filters: 4, kernel: 3, padding: 1,
            input: [3, 3, 7, 5], tuning: kernelRows,
            expect: allOf(direct, oneImagePerChunk, whole, rows(true))))
        var rowBands = kernelRows
        rowBands.bandBudget = 2 * 25 * 8 * 3
        v.append(ConvolutionVariant(
            name: "kernel rows, 5x5 pad 2, bands", filters: 5, kernel: 5, padding: 2,
            input: [2, 2, 9, 8], tuning: rowBands,
            expect: allOf(direct, banded, rows(true))))
        v.append(ConvolutionVariant(
            name: "kernel rows, 5x5 pad 0, LeNet-5's conv2 on 9 images", filters: 50, kernel: 5,
            input: [9, 20, 12, 12],
            expect: allOf(direct, oneImagePerChunk, whole, rows(true), groups(4)),
            finiteDifferences: false))
        var winograd = ConvolutionTuning(winograd: .always, winogradTiles: 12)
        v.append(ConvolutionVariant(
            name: "Winograd, pad 1, odd sizes, one image per Winograd chunk", filters: 4,
            kernel: 3, padding: 1, input: [5, 3, 7, 5], tuning: winograd,
            expect: allOf(winogradAll) + { p in
                [("5 Winograd chunks in 4 groups",
                  p.winograd?.chunks.chunkCount == 5 && p.winograd?.chunks.groups == 4)]
            }))
        winograd.winogradTiles = 256
        v.append(ConvolutionVariant(
            name: "Winograd, pad 0, several images per Winograd chunk", filters: 5, kernel: 3,
            input: [6, 2, 6, 6], tuning: winograd,
            expect: allOf(winogradAll) + { p in
                [("one Winograd chunk", p.winograd?.chunks.chunkCount == 1)]
            }))
        var winogradChunks = winograd
        winogradChunks.winogradTiles = 40
        v.append(ConvolutionVariant(
            name: "Winograd, pad 2, chunks of several images", filters: 3, kernel: 3,
            padding: 2, input: [7, 4, 5, 8], tuning: winogradChunks,
            expect: allOf(winogradAll) + { p in
                [("Winograd chunks of 2", p.winograd?.chunks.chunk == 2)]
            }))
        v.append(ConvolutionVariant(
            name: "Winograd weight gradient only (automatic, 8x8 16 channels), one chunk",
            filters: 16, kernel: 3, padding: 1, input: [5, 16, 8, 8],
            expect: { p in
                [("forward and input gradient direct, weight gradient Winograd",
                  p.forward == .direct && p.backwardData == .direct
                    && p.backwardWeights == .winograd),
                 ("the batch one Winograd chunk", p.winograd?.chunks.chunkCount == 1)]
            }, finiteDifferences: false))
        v.append(ConvolutionVariant(
            name: "Winograd weight gradient only (automatic, 4x4), one chunk", filters: 16,
            kernel: 3, padding: 1, input: [2, 16, 4, 4],
            expect: { p in
                [("weight gradient Winograd only",
                  p.forward == .direct && p.backwardWeights == .winograd),
                 ("the batch one Winograd chunk", p.winograd?.chunks.chunkCount == 1),
                 ("one direct chunk of two images", p.chunks.chunk == 2)]
            }))
        v.append(ConvolutionVariant(
            name: "Winograd weight gradient only, several Winograd chunks", filters: 16,
            kernel: 3, padding: 1, input: [5, 16, 4, 4],
            tuning: ConvolutionTuning(winogradTiles: 8),
            expect: { p in
                [("weight gradient Winograd only",
                  p.forward == .direct && p.backwardWeights == .winograd),
                 ("two images per Winograd chunk", p.winograd?.chunks.chunk == 2)]
            }))
        var pointwise = plainDirect
        pointwise.columnBudget = 2 * 4 * 9
        v.append(ConvolutionVariant(
            name: "1x1, two images per chunk", filters: 3, kernel: 1, input: [5, 4, 3, 3],
            tuning: pointwise,
            expect: allOf(direct, groups(3)) + { p in [("chunks of 2", p.chunks.chunk == 2)] }))
        v.append(ConvolutionVariant(
            name: "stride 3 over a 2x2 kernel, pad 2", filters: 2, kernel: 2, stride: 3,
            padding: 2, input: [3, 2, 5, 6], expect: allOf(direct)))
        v.append(ConvolutionVariant(
            name: "no bias, stride 2, default tuning", filters: 4, kernel: 3, stride: 2,
            padding: 1, bias: false, input: [2, 3, 7, 7], expect: allOf(direct)))
        var noBiasChunks = plainDirect
        noBiasChunks.columnBudget = 2 * 18 * 25
        v.append(ConvolutionVariant(
            name: "no bias, chunks of 2 and 1", filters: 3, kernel: 3, padding: 1, bias: false,
            input: [3, 2, 5, 5], tuning: noBiasChunks,
            expect: allOf(direct) + { p in [("chunks of 2", p.chunks.chunk == 2)] }))
        v.append(ConvolutionVariant(
            name: "no bias, Winograd", filters: 4, kernel: 3, padding: 1, bias: false,
            input: [3, 3, 6, 6], tuning: ConvolutionTuning(winograd: .always),
            expect: allOf(winogradAll)))
        // Winograd F(4x4,5x5): maps whose outputs are not a multiple of 4 (partial tiles),
        // pads 0, 2 and 4 (the adjoint's 4, 2 and 0), one and several images per chunk, and
        // LeNet-5's conv2 shape with channel counts across a vector (20 and 17).
        let five = ConvolutionTuning(winograd5x5: .always, winogradTiles: 12)
        let fiveTiles: (ConvolutionPlan) -> [(String, Bool)] = {
            [("F(4x4,5x5) tiles", $0.winograd?.forward.kernel == 5)]
        }
        v.append(ConvolutionVariant(
            name: "Winograd 5x5, pad 0, odd sizes, one image per chunk", filters: 4, kernel: 5,
            input: [3, 3, 9, 7], tuning: five,
            expect: allOf(winogradAll, fiveTiles) + { p in
                [("3 Winograd chunks", p.winograd?.chunks.chunkCount == 3)]
            }))
        var fiveChunks = five
        fiveChunks.winogradTiles = 40
        v.append(ConvolutionVariant(
            name: "Winograd 5x5, pad 2, chunks of 2 images, partial last chunk", filters: 3,
            kernel: 5, padding: 2, input: [5, 2, 8, 6], tuning: fiveChunks,
            expect: allOf(winogradAll, fiveTiles) + { p in
                [("Winograd chunks of 2, three of them",
                  p.winograd?.chunks.chunk == 2 && p.winograd?.chunks.chunkCount == 3)]
            }))
        v.append(ConvolutionVariant(
            name: "Winograd 5x5, pad 4, no bias", filters: 2, kernel: 5, padding: 4, bias: false,
            input: [2, 3, 5, 6], tuning: five, expect: allOf(winogradAll, fiveTiles)))
        v.append(ConvolutionVariant(
            name: "Winograd 5x5 by its rule, LeNet-5's conv2 shape (20 -> 17 channels)",
            filters: 17, kernel: 5, input: [3, 20, 12, 12],
            tuning: ConvolutionTuning(winograd5x5: .automatic),
            expect: allOf(winogradAll, fiveTiles) + { p in
                [("one Winograd chunk", p.winograd?.chunks.chunkCount == 1)]
            }, finiteDifferences: false))
        v.append(ConvolutionVariant(
            name: "5x5 in the standard tuning: direct (Winograd 5x5 off in engine 0.6.0)",
            filters: 17, kernel: 5, input: [2, 20, 12, 12],
            expect: allOf(direct), finiteDifferences: false))
        // Fused max pooling: LeNet-5's pairs (5x5 then 2/2), with and without kernel rows.
        let fusedPlain = ConvolutionTuning(columnBudget: 1, minimumColumns: 1,
                                           kernelRows: .never)
        let fused: (ConvolutionPlan) -> [(String, Bool)] = {
            [("pooling fused", $0.fusesPooling)]
        }
        v.append(ConvolutionVariant(
            name: "fused pooling, one input channel (LeNet-5's conv1 + pool1)", filters: 3,
            kernel: 5, input: [3, 1, 12, 12], tuning: fusedPlain, pooling: (2, 2),
            expect: allOf(direct, oneImagePerChunk, rows(false), fused)))
        v.append(ConvolutionVariant(
            name: "fused pooling, kernel rows, bands", filters: 4, kernel: 5, padding: 1,
            input: [5, 3, 10, 10],
            tuning: ConvolutionTuning(columnBudget: 1, minimumColumns: 1,
                                      bandBudget: 75 * 8 * 3, kernelRows: .always),
            pooling: (2, 2), expect: allOf(direct, banded, rows(true), groups(4), fused)))
        v.append(ConvolutionVariant(
            name: "fused pooling, 3x3/2 windows over an odd map", filters: 3, kernel: 3,
            input: [2, 2, 9, 9], tuning: fusedPlain, pooling: (3, 2),
            expect: allOf(direct, fused)))
        return v
    }
}

/// `ConvolutionVariant.all`'s entries combined with more expectations.
private func + (a: @escaping (ConvolutionPlan) -> [(String, Bool)],
                b: @escaping (ConvolutionPlan) -> [(String, Bool)])
    -> (ConvolutionPlan) -> [(String, Bool)] {
    { p in a(p) + b(p) }
}
