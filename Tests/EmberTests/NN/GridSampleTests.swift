import Foundation
import Testing
@testable import Ember

/// affineGrid and gridSample (every mode, padding and corner alignment) forward and backward against
/// PyTorch, and rotate (RandomRotation's warp) against torchvision (scripts/make_warp_fixtures.py →
/// Fixtures/warp.json).
@Suite struct GridSampleTests {
    static let cases: [String: [String: Any]] = {
        let list = ((try? loadFixture("warp.json"))?["cases"] as? [[String: Any]]) ?? []
        return Dictionary(uniqueKeysWithValues: list.map { ($0["name"] as! String, $0) })
    }()

    @Test func fixturesLoaded() { #expect(Self.cases.count == 28) }

    @Test(arguments: cases.keys.sorted())
    func matchesPyTorch(_ name: String) throws {
        let c = try #require(Self.cases[name])
        let align = c["align_corners"] as? Bool ?? false
        switch c["kind"] as! String {
        case "affine_grid":
            let size = c["size"] as! [Int]
            let theta = Tensor(floats(c["theta"]), shape: [size[0], 2, 3], requiresGrad: true)
            let grid = affineGrid(theta, size: size, alignCorners: align)
            #expect(grid.shape == c["out_shape"] as! [Int])
            expectClose(grid.toArray(), floats(c["out"]), atol: 1e-5, name)
            (grid * Tensor(floats(c["r"]), shape: grid.shape)).sum().backward()
            expectClose(theta.grad!.toArray(), floats(c["grad_theta"]), atol: 1e-4, "\(name) dθ")
        case "grid_sample":
            let x = Tensor(floats(c["x"]), shape: c["shape"] as! [Int], requiresGrad: true)
            let grid = Tensor(floats(c["grid"]), shape: c["grid_shape"] as! [Int], requiresGrad: true)
            let out = gridSample(x, grid: grid, mode: GridSampleMode(rawValue: c["mode"] as! String)!,
                                 paddingMode: GridSamplePadding(rawValue: c["padding"] as! String)!, alignCorners: align)
            #expect(out.shape == c["out_shape"] as! [Int])
            expectClose(out.toArray(), floats(c["out"]), atol: 1e-5, name)
            (out * Tensor(floats(c["r"]), shape: out.shape)).sum().backward()
            expectClose(x.grad!.toArray(), floats(c["grad_x"]), atol: 1e-4, "\(name) dx")
            // Nearest sampling gives the grid PyTorch's zero gradient.
            expectClose(grid.grad?.toArray() ?? [], floats(c["grad_grid"]), atol: 2e-4, rtol: 1e-4, "\(name) dgrid")
        case "rotate":
            let x = Tensor(floats(c["x"]), shape: c["shape"] as! [Int])
            let out = rotate(x, degrees: Float(c["angle"] as! Double), interpolation: GridSampleMode(rawValue: c["mode"] as! String)!,
                             fill: (c["fill"] as? Double).map(Float.init))
            #expect(out.shape == c["out_shape"] as! [Int])
            expectClose(out.toArray(), floats(c["out"]), atol: 1e-5, name)
        default:
            let x = Tensor(floats(c["x"]), shape: c["shape"] as! [Int], requiresGrad: true)
            let theta = Tensor(floats(c["theta"]), shape: [x.shape[0], 2, 3], requiresGrad: true)
            let out = gridSample(x, grid: affineGrid(theta, size: x.shape))
            expectClose(out.toArray(), floats(c["out"]), atol: 1e-5, name)
            (out * Tensor(floats(c["r"]), shape: out.shape)).sum().backward()
            expectClose(x.grad!.toArray(), floats(c["grad_x"]), atol: 1e-4, "\(name) dx")
            expectClose(theta.grad!.toArray(), floats(c["grad_theta"]), atol: 1e-3, rtol: 1e-4, "\(name) dθ")
        }
    }

    /// The one-pass kernels against the composed ops that `createGraph` differentiates, at points
    /// inside, on and far outside the image (with NaN and ±inf), for every mode, padding and alignment.
    @Test func kernelsAgreeWithTheComposedOps() {
        let generator = RandomGenerator(seed: 11)
        let x = Tensor.randn([2, 3, 5, 4], generator: generator)
        var points = Tensor.randn([2, 6, 7, 2], std: 2.5, generator: generator).toArray()
        for (i, v) in [Float.nan, .infinity, -.infinity, 1, -1, 40.25, -1e6].enumerated() { points[i * 5] = v }
        for mode in [GridSampleMode.bilinear, .nearest] {
            for padding in [GridSamplePadding.zeros, .border, .reflection] {
                for align in [false, true] {
                    let what = "\(mode) \(padding) alignCorners \(align)"
                    let input = x.detach().requiringGrad(), grid = Tensor(points, shape: [2, 6, 7, 2], requiresGrad: true)
                    let out = gridSample(input, grid: grid, mode: mode, paddingMode: padding, alignCorners: align)
                    let r = Tensor.randn(out.shape, generator: generator)
                    let fast = Autograd.grad(of: (out * r).sum(), wrt: [input, grid], retainGraph: true)
                    // Under createGraph the gradient comes from the composed ops.
                    let composed = Autograd.grad(of: (out * r).sum(), wrt: [input, grid], createGraph: true)
                    // NaN where PyTorch gives NaN (non-finite points under zero padding), the same values elsewhere.
                    let nanAt = { (t: Tensor) in t.toArray().indices.filter { t.toArray()[$0].isNaN } }
                    let finite = { (t: Tensor) in t.toArray().map { $0.isNaN ? 0 : $0 } }
                    expectClose(finite(fast[0]), finite(composed[0]), atol: 1e-5, "\(what) dx")
                    expectClose(finite(fast[1]), finite(composed[1]), atol: 1e-4, "\(what) dgrid")
                    #expect(nanAt(fast[0]).isEmpty && nanAt(composed[0]).isEmpty, "\(what) NaN in dx")
                    #expect(nanAt(fast[1]) == nanAt(composed[1]), "\(what) NaN in dgrid")
                    // Under zero padding a non-finite x (entries 0 and 10) or y (entry 5) makes the weights of
                    // the other axis NaN, so the other coordinate's gradient is NaN.
                    #expect(nanAt(fast[1]) == (mode == .bilinear && padding == .zeros ? [1, 4, 11] : []), "\(what) NaN in dgrid")
                }
            }
        }
    }

    /// Second derivatives (through the composed ops) against finite differences of the first.
    @Test func secondDerivativesMatchFiniteDifferences() throws {
        let generator = RandomGenerator(seed: 3)
        let x = Tensor.randn([1, 2, 4, 5], generator: generator)
        // Away from pixel centres and borders, where the bilinear weights have kinks.
        let grid = Tensor([-0.61, -0.23, 0.37, 0.52, 0.11, -0.83, 0.74, 0.29, -0.36, 0.66, 0.58, -0.47] as [Float], shape: [1, 2, 3, 2])
        for padding in [GridSamplePadding.zeros, .border, .reflection] {
            // gradcheck evaluates the function under noGrad too; the first derivatives need a graph anyway.
            try Autograd.gradcheck({ inputs in enableGrad {
                let out = gridSample(inputs[0], grid: inputs[1], paddingMode: padding)
                let grads = Autograd.grad(of: (out * out).sum(), wrt: [inputs[0], inputs[1]], createGraph: true)
                return Tensor.cat([grads[0].reshape([-1]), grads[1].reshape([-1])])
            } }, inputs: [x.requiringGrad(), grid.requiringGrad()], eps: 1e-3, atol: 2e-3, rtol: 2e-2)
        }
    }

    @Test func identityGridReproducesTheImage() {
        let x = Tensor.randn([2, 3, 5, 7], generator: RandomGenerator(seed: 1))
        let identity = Tensor([1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0] as [Float], shape: [2, 2, 3])
        for align in [false, true] {
            let grid = affineGrid(identity, size: x.shape, alignCorners: align)
            expectClose(gridSample(x, grid: grid, alignCorners: align).toArray(), x.toArray(), atol: 1e-5)
            expectClose(gridSample(x, grid: grid, mode: .nearest, alignCorners: align).toArray(), x.toArray(), atol: 0)
        }
    }

    @Test func nonFiniteGridValuesAreSampledLikePyTorch() {
        // F.grid_sample (torch 2.13) on arange(9) as 3x3 at (x, 0) for x = NaN, +inf, -inf, centres mode.
        let x = Tensor((0..<9).map(Float.init), shape: [1, 1, 3, 3])
        let expected: [GridSampleMode: [GridSamplePadding: [Float]]] = [
            .bilinear: [.zeros: [.nan, .nan, .nan], .border: [3, 5, 3], .reflection: [3, 3, 3]],
            .nearest: [.zeros: [0, 0, 0], .border: [3, 5, 3], .reflection: [3, 3, 3]],
        ]
        for (mode, paddings) in expected {
            for (padding, values) in paddings {
                for (v, want) in zip([Float.nan, .infinity, -.infinity], values) {
                    let got = gridSample(x, grid: Tensor([v, 0], shape: [1, 1, 1, 2]), mode: mode, paddingMode: padding).item()
                    #expect(got == want || (got.isNaN && want.isNaN), "\(mode) \(padding) at \(v): \(got), PyTorch \(want)")
                }
            }
        }
        // An infinite pixel outside the sampled neighbourhood does not leak in as NaN.
        let infinite = Tensor([.infinity, 1, 2, 3], shape: [1, 1, 2, 2])
        #expect(gridSample(infinite, grid: Tensor([-5, -5] as [Float], shape: [1, 1, 1, 2])).item() == 0)
    }

    @Test func largeImagesIndexExactly() {
        // 4097 x 4097: a flat index y·W + x in float32 would round odd values past 2^24.
        let side = 4097
        let columns = Tensor((0..<side).map(Float.init), shape: [1, 1, 1, side]).expand([1, 1, side, side]).contiguous()
        let at = { (column: Int) -> Float in 2 * Float(column) / Float(side - 1) - 1 }
        let grid = Tensor([at(1), 1, at(3), 1], shape: [1, 1, 2, 2])
        #expect(gridSample(columns, grid: grid, mode: .nearest, alignCorners: true).toArray() == [1, 3])
    }

    @Test func neighboursPastTheLastColumnStayOutsideOnWideImages() {
        // 2^24 + 1 columns: x0 + 1 in float rounds back to x0 there, which once let the east neighbour
        // of the last pixel count as inside and read the next image's first pixel.
        let w = 16_777_217
        var pixels = [Float](repeating: 0, count: 2 * w)
        pixels[w - 1] = 1
        pixels[w] = 1000
        let grid = Tensor([1, 0, 0, 0] as [Float], shape: [2, 1, 1, 2], requiresGrad: true)
        let out = gridSample(Tensor(pixels, shape: [2, 1, 1, w]), grid: grid, alignCorners: true)
        #expect(out.toArray() == [1, 0])
        out.sum().backward()
        #expect(grid.grad!.toArray() == [-8_388_608, 0, 0, 0])   // PyTorch's: −1 · (w − 1) / 2
    }

    @Test func randomRotationDrawsItsAngles() {
        let image = Tensor.rand([1, 9, 9], generator: RandomGenerator(seed: 2))
        // A zero range is the identity (nearest sampling at the pixel centres).
        #expect(RandomRotation(0)(image).toArray() == image.toArray())
        let a = RandomRotation(30, seed: 5), b = RandomRotation(30, seed: 5)
        for _ in 0..<3 { #expect(a(image).toArray() == b(image).toArray()) }
        // A quarter turn of a square image moves every pixel, and four of them bring it back.
        var turned = image
        for _ in 0..<4 { turned = rotate(turned, degrees: 90) }
        #expect(turned.toArray() == image.toArray())
        #expect(rotate(image, degrees: 90).toArray() != image.toArray())
    }

    @Test func shapeErrorsNameBothShapes() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = gridSample(Tensor.zeros([1, 1, 4, 4]), grid: Tensor.zeros([2, 3, 3, 2]))
        }
        #expect(stderr(result).contains("[1, 1, 4, 4]") && stderr(result).contains("[2, 3, 3, 2]"))
        // An int64 operand in a matrix product is refused, not read as float bits.
        let ints = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 3]).matmul(Tensor([1, 2, 3], shape: [3, 1]))
        }
        #expect(stderr(ints).contains("matmul: expects float32 tensors, got float32 [2, 3] and int64 [3, 1]"), "\(stderr(ints))")
        let linearInts = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = linear(Tensor([1, 2, 3], shape: [1, 3]), weight: Tensor.ones([2, 3]), bias: nil)
        }
        #expect(stderr(linearInts).contains("expects float32 tensors, got int64 [1, 3]"), "\(stderr(linearInts))")
        let convInts = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = conv2d(Tensor(Array(repeating: 1, count: 16), shape: [1, 1, 4, 4]), weight: Tensor.ones([1, 1, 3, 3]))
        }
        #expect(stderr(convInts).contains("conv2d: expects float32 tensors, got input int64"), "\(stderr(convInts))")
    }
}
