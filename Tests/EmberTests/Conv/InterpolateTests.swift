import Foundation
import Testing
@testable import Ember

/// interpolate and Upsample against PyTorch (cases 32..<40 and 42..<45 of conv.json, scripts/make_conv_fixtures.py).
@Suite struct InterpolateTests {
    static var cases: [[String: Any]] { ConvolutionTests.cases }

    static func numbers(_ value: Any?) -> [Double]? {
        if let n = value as? NSNumber { return [n.doubleValue] }
        return (value as? [NSNumber])?.map(\.doubleValue)
    }

    @Test(arguments: Array(32..<40) + Array(42..<45))
    func matchesPyTorch(_ index: Int) {
        let c = Self.cases[index]
        let args = c["args"] as! [String: Any]
        let x = Tensor(floats(c["x"]), shape: c["x_shape"] as! [Int], requiresGrad: true)
        let spatial = x.rank - 2
        let size = Self.numbers(args["size"]).map { $0.count == 1 ? [Int](repeating: Int($0[0]), count: spatial) : $0.map { Int($0) } }
        let scale = Self.numbers(args["scale_factor"]).map { $0.count == 1 ? [Double](repeating: $0[0], count: spatial) : $0 }
        let out = interpolate(x, size: size, scaleFactor: scale, mode: InterpolationMode(rawValue: args["mode"] as! String)!,
                              alignCorners: args["align_corners"] as? Bool ?? false)
        ConvolutionTests.expectMatches(c, out, gradients: ["grad_x": x], atol: 1e-5)
    }

    @Test func upsampleLayersMatchPyTorchsRepr() {
        let reprs = ConvolutionTests.reprs
        #expect(Upsample(scaleFactor: 2).description == reprs["upsample_nearest"])
        #expect(Upsample(size: [5, 7], mode: .bilinear, alignCorners: true).description == reprs["upsample_bilinear"])
        let x = Tensor([1, 2, 3, 4], shape: [1, 1, 2, 2])
        #expect(Upsample(scaleFactor: 2)(x).toArray() == [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4])
    }

    @Test func linearModeOnAnImageNamesTheMode() async {
        await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = interpolate(Tensor.zeros([1, 1, 4, 4]), scaleFactor: [2, 2], mode: .linear)
        } .map { result in
            let text = String(decoding: result.standardErrorContent, as: UTF8.self)
            #expect(text.contains("interpolate: mode linear needs a 3-D [N, C, L] input, got shape [1, 1, 4, 4]"), "\(text)")
        }
    }
}
