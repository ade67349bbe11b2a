import Foundation
import Testing
@testable import Ember

@Suite("Transforms")
struct TransformTests {
    @Test func toTensorAndNormalize() {
        let t = ToTensor()([0, 51, 255, 102], shape: [1, 2, 2])
        expectClose(t.toArray(), [0, 0.2, 1, 0.4])
        expectClose(ToTensor()(Tensor([255, 0] as [Float], shape: [2])).toArray(), [1, 0])
        let n = Normalize(mean: 0.5, std: 0.25)(t)
        expectClose(n.toArray(), [-2, -1.2, 2, -0.4])
        let rgb = Tensor([0, 1, 2, 3, 4, 5] as [Float], shape: [3, 1, 2])
        expectClose(Normalize(mean: [0, 1, 2], std: [1, 2, 4])(rgb).toArray(), [0, 1, 0.5, 1, 0.5, 0.75])
        let pipeline = Compose([ToTensor(), Normalize(mean: 0.1307, std: 0.3081)])
        let raw = Tensor([0, 128, 255] as [Float], shape: [3])
        expectClose(pipeline(raw).toArray(), [0, 128, 255].map { ($0 / 255 - 0.1307) / 0.3081 })
        let affine = pipeline.elementwiseAffine!
        expectClose([255 * affine.scale + affine.shift], [(1 - 0.1307) / 0.3081])
    }

    @Test func transformsReadNonContiguousInputs() {
        let x = Tensor([1, 2, 3, 4] as [Float], shape: [2, 2]).transpose(0, 1)
        expectClose(Normalize(mean: 0, std: 1)(x).toArray(), [1, 3, 2, 4])
    }

    @Test func randomCropShiftsWithinPadding() {
        let image = Tensor((1...16).map(Float.init), shape: [1, 4, 4])
        // Without padding and full size the crop is the image itself.
        #expect(RandomCrop(size: 4, seed: 1)(image).toArray() == image.toArray())
        let crop = RandomCrop(size: 4, padding: 1, seed: 9)
        var offsets = Set<[Float]>()
        for _ in 0..<60 {
            let out = crop(image)
            #expect(out.shape == [1, 4, 4])
            let values = out.toArray()
            // Every output is the image shifted by at most one pixel, zeros filling the border.
            let found = (-1...1).flatMap { dy in (-1...1).map { dx in (dy, dx) } }.contains { dy, dx in
                (0..<16).allSatisfy { i in
                    let y = i / 4 - dy, x = i % 4 - dx
                    let expected: Float = (0..<4).contains(y) && (0..<4).contains(x) ? Float(y * 4 + x + 1) : 0
                    return values[i] == expected
                }
            }
            #expect(found)
            offsets.insert(values)
        }
        #expect(offsets.count == 9, "all 9 placements occur")
        // Same seed, same crops.
        let a = RandomCrop(size: 3, padding: 2, seed: 4), b = RandomCrop(size: 3, padding: 2, seed: 4)
        for _ in 0..<5 { #expect(a(image).toArray() == b(image).toArray()) }
        #expect(a(image).shape == [1, 3, 3])
    }

    @Test func randomAffineTranslates() {
        let image = Tensor((1...100).map(Float.init), shape: [1, 10, 10])
        let shift = RandomAffine(translate: (0.2, 0.1), seed: 3)
        var seenDx = Set<Int>()
        for _ in 0..<100 {
            let values = shift(image).toArray()
            #expect(values.count == 100)
            // Locate the shift from a pixel that stays visible: the source of output (5, 5).
            let v = Int(values[55]) - 1
            let dy = 5 - v / 10, dx = 5 - v % 10
            #expect(abs(dx) <= 2 && abs(dy) <= 1)
            seenDx.insert(dx)
            for i in 0..<100 {
                let y = i / 10 - dy, x = i % 10 - dx
                let expected: Float = (0..<10).contains(y) && (0..<10).contains(x) ? Float(y * 10 + x + 1) : 0
                #expect(values[i] == expected)
            }
        }
        #expect(seenDx == [-2, -1, 0, 1, 2])
        #expect(RandomAffine(translate: (0, 0), seed: 1)(image).toArray() == image.toArray())
    }

    @Test func horizontalFlip() {
        let image = Tensor([1, 2, 3, 4, 5, 6] as [Float], shape: [1, 2, 3])
        #expect(RandomHorizontalFlip(p: 1)(image).toArray() == [3, 2, 1, 6, 5, 4])
        #expect(RandomHorizontalFlip(p: 0)(image).toArray() == [1, 2, 3, 4, 5, 6])
    }
}
