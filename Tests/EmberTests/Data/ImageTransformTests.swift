import Foundation
import Testing
@testable import Ember

/// Resize (bilinear, antialiased), CenterCrop, RandomResizedCrop, Grayscale and RandomVerticalFlip,
/// against PyTorch where torchvision's tensor transforms call it (Fixtures/images.json "resize").
@Suite struct ImageTransformTests {
    static let fixture: [String: Any] = (try? loadFixture("images.json")) ?? [:]
    static let resizes = fixture["resize"] as? [[String: Any]] ?? []
    static let torchvision = fixture["torchvision"] as? [String: Any] ?? [:]

    @Test func fixturesLoaded() { #expect(Self.resizes.count == 8) }

    @Test(arguments: 0..<8)
    func interpolateMatchesPyTorch(_ index: Int) throws {
        try #require(index < Self.resizes.count)
        let c = Self.resizes[index]
        let shape = c["shape"] as! [Int], size = c["size"] as! [Int], antialias = c["antialias"] as! Bool
        let alignCorners = c["align_corners"] as! Bool
        let x = Tensor(floats(c["x"]), shape: shape)
        let out = interpolate(x.unsqueeze(0), size: size, mode: .bilinear, alignCorners: alignCorners, antialias: antialias).squeeze(0)
        #expect(out.shape == [shape[0]] + size)
        expectClose(out.toArray(), floats(c["out"]), atol: 2e-6, rtol: 1e-5, "case \(index) \(shape) → \(size) antialias \(antialias)")
        // The Resize transform is the same operation.
        if alignCorners { return }
        let resized = Resize(height: size[0], width: size[1], antialias: antialias)(x)
        #expect(resized.toArray() == out.toArray())
    }

    @Test func antialiasedResizeHasGradients() {
        let x = Tensor.randn([1, 2, 7, 9], generator: RandomGenerator(seed: 4), requiresGrad: true)
        let r = Tensor.randn([1, 2, 3, 4], generator: RandomGenerator(seed: 5))
        func f(_ t: Tensor) -> Tensor { (interpolate(t, size: [3, 4], mode: .bilinear, antialias: true) * r).sum() }
        f(x).backward()
        expectClose(x.grad!.toArray(), numericalGradient(of: f, at: x), atol: 2e-3)
    }

    @Test func resizeKeepsTheAspectRatioLikeTorchvision() {
        // torchvision: the shorter side becomes the size, the longer ⌊size · long / short⌋.
        #expect(Resize(256).outputSize(height: 375, width: 500) == (256, 341))
        #expect(Resize(256).outputSize(height: 500, width: 375) == (341, 256))
        #expect(Resize(4)(Tensor.zeros([3, 6, 9])).shape == [3, 4, 6])
        #expect(Resize(4)(Tensor.zeros([2, 3, 6, 9])).shape == [2, 3, 4, 6])
        #expect(Resize(4)(Tensor.zeros([8, 4])).shape == [8, 4])
    }

    @Test func sizesAndValuesMatchTorchvision() throws {
        for c in try #require(Self.torchvision["resize_sizes"] as? [[String: Any]]) {
            let size = Resize(c["size"] as! Int).outputSize(height: c["height"] as! Int, width: c["width"] as! Int)
            #expect([size.height, size.width] == c["out"] as! [Int], "\(c)")
        }
        let r = try #require(Self.torchvision["resize_values"] as? [String: Any])
        let resized = Resize(r["size"] as! Int)(Tensor(floats(r["x"]), shape: r["shape"] as! [Int]))
        #expect(resized.shape == r["out_shape"] as! [Int])
        expectClose(resized.toArray(), floats(r["out"]), atol: 2e-6, "TF.resize")
        for c in try #require(Self.torchvision["center_crops"] as? [[String: Any]]) {
            let size = c["size"] as! [Int]
            let out = CenterCrop(height: size[0], width: size[1])(Tensor(floats(c["x"]), shape: c["shape"] as! [Int]))
            #expect(out.shape == c["out_shape"] as! [Int], "\(c["shape"]!) → \(size)")
            #expect(out.toArray() == floats(c["out"]), "\(c["shape"]!) → \(size)")
        }
        let g = try #require(Self.torchvision["grayscale"] as? [String: Any])
        let rgb = Tensor(floats(g["x"]), shape: g["shape"] as! [Int])
        expectClose(Grayscale()(rgb).toArray(), floats(g["one"]), atol: 1e-6)
        expectClose(Grayscale(outputChannels: 3)(rgb).toArray(), floats(g["three"]), atol: 1e-6)
    }

    @Test func centerCropPicksTorchvisionsWindow() {
        let x = Tensor((0..<30).map(Float.init), shape: [1, 5, 6])
        // Margins (5 - 2) / 2 = 1.5 → 2 (half to even) rows, (6 - 3) / 2 = 1.5 → 2 columns.
        #expect(CenterCrop(height: 2, width: 3)(x).toArray() == [14, 15, 16, 20, 21, 22])
        // (5 - 4) / 2 = 0.5 → 0 rows, (6 - 1) / 2 = 2.5 → 2 columns.
        #expect(CenterCrop(height: 4, width: 1)(x).toArray() == [2, 8, 14, 20])
        // Larger than the image: zero padding, the smaller half before (here none above, one row below).
        let padded = CenterCrop(height: 3, width: 4)(Tensor([1, 2, 3, 4], shape: [1, 2, 2]))
        #expect(padded.toArray() == [0, 1, 2, 0, 0, 3, 4, 0, 0, 0, 0, 0])
    }

    @Test func randomResizedCropWindowsFollowTheRules() {
        let crop = RandomResizedCrop(8, scale: 0.25...0.5, ratio: 0.5...2, seed: 3)
        for _ in 0..<200 {
            let box = crop.window(height: 40, width: 60)
            let area = Double(box.height * box.width) / 2400, aspect = Double(box.width) / Double(box.height)
            #expect(box.top >= 0 && box.left >= 0 && box.top + box.height <= 40 && box.left + box.width <= 60)
            #expect(area > 0.2 && area < 0.56, "area fraction \(area)")
            #expect(aspect > 0.45 && aspect < 2.2, "aspect \(aspect)")
        }
        // Impossible windows fall back to the whole image, centre-cropped to the allowed ratio.
        let narrow = RandomResizedCrop(4, scale: 2...3, ratio: 1...1, seed: 0)
        #expect(narrow.window(height: 10, width: 30) == (0, 10, 10, 10))
        let out = RandomResizedCrop(height: 5, width: 7, seed: 1)(Tensor.rand([3, 20, 30], generator: RandomGenerator(seed: 2)))
        #expect(out.shape == [3, 5, 7])
        // The same seed gives the same crops.
        let a = RandomResizedCrop(6, seed: 9), b = RandomResizedCrop(6, seed: 9)
        let image = Tensor.rand([3, 16, 16], generator: RandomGenerator(seed: 3))
        for _ in 0..<3 { #expect(a(image).toArray() == b(image).toArray()) }
    }

    @Test func grayscaleUsesTorchvisionsWeights() {
        let rgb = Tensor([1, 0, 0.5, 0, 1, 0.5, 0, 0, 0.5], shape: [3, 1, 3])
        expectClose(Grayscale()(rgb).toArray(), [0.2989, 0.587, 0.49995], atol: 1e-6)
        let three = Grayscale(outputChannels: 3)(rgb.unsqueeze(0))
        #expect(three.shape == [1, 3, 1, 3])
        expectClose(three.toArray(), [0.2989, 0.587, 0.49995, 0.2989, 0.587, 0.49995, 0.2989, 0.587, 0.49995], atol: 1e-6)
        #expect(Grayscale()(Tensor([0.25, 0.75], shape: [1, 1, 2])).toArray() == [0.25, 0.75])
    }

    @Test func verticalFlipMirrorsRows() {
        let x = Tensor((0..<12).map(Float.init), shape: [2, 3, 2])
        #expect(RandomVerticalFlip(p: 1)(x).toArray() == [4, 5, 2, 3, 0, 1, 10, 11, 8, 9, 6, 7])
        #expect(RandomVerticalFlip(p: 0)(x).toArray() == x.toArray())
    }
}
