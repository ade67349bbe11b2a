import Foundation
import Testing
@testable import Ember

/// adjustBrightness/Contrast/Saturation/Hue and gaussianBlur against torchvision's functions on tensors
/// (Fixtures/images.json "torchvision" → "color", "blur"), and the random ColorJitter and GaussianBlur.
@Suite struct ColorTransformTests {
    static let torchvision = ((try? loadFixture("images.json"))?["torchvision"] as? [String: Any]) ?? [:]
    static let color = torchvision["color"] as? [[String: Any]] ?? []
    static let blur = torchvision["blur"] as? [[String: Any]] ?? []

    @Test func fixturesLoaded() {
        #expect(Self.color.count == 14)
        #expect(Self.blur.count == 4)
    }

    @Test func colorAdjustmentsMatchTorchvision() {
        for c in Self.color {
            let op = c["op"] as! String, factor = Float(c["factor"] as! Double)
            let x = Tensor(floats(c["x"]), shape: c["shape"] as! [Int])
            let out: Tensor = switch op {
            case "brightness": adjustBrightness(x, factor: factor)
            case "contrast": adjustContrast(x, factor: factor)
            case "saturation": adjustSaturation(x, factor: factor)
            default: adjustHue(x, factor: factor)
            }
            #expect(out.shape == x.shape)
            expectClose(out.toArray(), floats(c["out"]), atol: 2e-6, rtol: 1e-5, "\(op) \(factor) on \(x.shape)")
        }
    }

    @Test func gaussianBlurMatchesTorchvision() {
        for c in Self.blur {
            let kernel = c["kernel"] as! [Int], sigma = floats(c["sigma"])
            let x = Tensor(floats(c["x"]), shape: c["shape"] as! [Int])
            let out = gaussianBlur(x, kernelSize: (kernel[0], kernel[1]), sigma: (sigma[0], sigma[1]))
            #expect(out.shape == x.shape)
            expectClose(out.toArray(), floats(c["out"]), atol: 2e-6, rtol: 1e-5, "blur \(kernel) σ \(sigma) on \(x.shape)")
        }
    }

    @Test func colorJitterIsSeededAndStaysInRange() {
        let image = Tensor.rand([3, 8, 8], generator: RandomGenerator(seed: 4))
        // Nothing to jitter: the image comes back as it was.
        #expect(ColorJitter()(image).toArray() == image.toArray())
        let a = ColorJitter(brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1, seed: 9)
        let b = ColorJitter(brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1, seed: 9)
        var outputs: [[Float]] = []
        for _ in 0..<4 {
            let out = a(image).toArray()
            #expect(out == b(image).toArray())
            #expect(out.allSatisfy { $0 >= 0 && $0 <= 1 })
            outputs.append(out)
        }
        #expect(Set(outputs.map { $0.description }).count == 4, "each call draws new factors")
        // Brightness alone scales every pixel by one factor in [0.6, 1.4].
        let brighter = ColorJitter(brightness: 0.4, seed: 1)(image * 0.5).toArray()
        let ratios = zip(brighter, (image * 0.5).toArray()).map { $0 / $1 }
        #expect(ratios.allSatisfy { abs($0 - ratios[0]) < 1e-5 } && ratios[0] >= 0.6 && ratios[0] <= 1.4)
    }

    @Test func gaussianBlurDrawsItsSigmaAndKeepsConstantImages() {
        let flat = Tensor.full([3, 6, 7], 0.25)
        expectClose(GaussianBlur(kernelSize: 5, seed: 3)(flat).toArray(), flat.toArray(), atol: 1e-6)
        let image = Tensor.rand([1, 9, 9], generator: RandomGenerator(seed: 6))
        let a = GaussianBlur(kernelSize: 3, seed: 2), b = GaussianBlur(kernelSize: 3, seed: 2)
        #expect(a(image).toArray() == b(image).toArray())
        // A tiny sigma leaves the image almost untouched; a fixed one matches the function.
        expectClose(GaussianBlur(kernelSize: 3, sigma: 0.01...0.01)(image).toArray(), image.toArray(), atol: 1e-6)
        #expect(GaussianBlur(kernelSize: (3, 5), sigma: 1.5...1.5)(image).toArray()
            == gaussianBlur(image, kernelSize: (3, 5), sigma: (1.5, 1.5)).toArray())
    }

    @Test func grayImagesOfTwoDimsAndNonFinitePixels() {
        // [H, W] is one channel, as in torchvision.
        let gray = Tensor.rand([4, 5], generator: RandomGenerator(seed: 8))
        expectClose(adjustBrightness(gray, factor: 0.5).toArray(), (gray * 0.5).toArray(), atol: 0)
        #expect(adjustHue(gray, factor: 0.2).toArray() == gray.toArray())
        #expect(ColorJitter(brightness: 0.4, saturation: 0.3, hue: 0.1)(gray).shape == [4, 5])
        // torchvision's masked sum makes every channel NaN when a pixel has a NaN or infinite value, or
        // its maximum is exactly 0 with negative channels.
        let odd = Tensor([0.2, .infinity, 0, 0.25, .nan, 0.2, -1, 0.5, 0.5, 0.3, -1, 0.125] as [Float], shape: [3, 1, 4])
        let turned = adjustHue(odd, factor: 0).toArray()
        for pixel in 0..<3 { #expect((0..<3).allSatisfy { turned[$0 * 4 + pixel].isNaN }, "pixel \(pixel)") }
        expectClose((0..<3).map { turned[$0 * 4 + 3] }, [0.25, 0.5, 0.125], atol: 1e-6)
        // The torchvision default sigma for a square kernel.
        #expect(gaussianBlur(gray, kernelSize: 3).toArray() == gaussianBlur(gray, kernelSize: (3, 3), sigma: (0.8, 0.8)).toArray())
    }

    @Test func colorOfAFourChannelImageStops() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = adjustSaturation(Tensor.zeros([4, 2, 2]), factor: 0.5)
        }
        #expect(stderr(r).contains("adjustSaturation: expects 1 or 3 channels in dim 0, got shape [4, 2, 2]"))
    }

    @Test func blurKernelLargerThanTheImageStops() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = gaussianBlur(Tensor.zeros([1, 3, 8]), kernelSize: (7, 3), sigma: (1, 1))
        }
        #expect(stderr(r).contains("gaussianBlur: a 7 × 3 kernel reflects 3 rows and 1 columns, more than an image of shape [1, 3, 8] has"))
    }
}
