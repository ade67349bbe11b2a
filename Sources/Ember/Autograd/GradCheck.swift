import Foundation

/// A gradient that disagrees with finite differences, named by input and element.
public struct GradCheckError: Error, CustomStringConvertible {
    public let input: Int
    public let element: Int
    public let analytic: Float
    public let numeric: Float
    public let eps: Float

    public var description: String {
        "gradcheck: input \(input), element \(element): backward gives \(analytic) but finite differences give "
            + "\(numeric) (eps \(eps)); check that input's gradient in backward"
    }
}

extension Autograd {
    /// Checks the gradients of `function` (say a custom `AutogradFunction` or layer) against central
    /// finite differences, like `torch.autograd.gradcheck`: both sides are taken of ⟨function(inputs), r⟩
    /// for a fixed r (one vector-Jacobian product rather than the whole Jacobian), for every element of
    /// every float input that requires grad.
    ///
    /// Ember computes in float32, so the tolerances are wider than PyTorch's float64 defaults; keep
    /// inputs of order 1 and away from kinks (|x| at 0, ReLU at 0).
    /// - Throws: `GradCheckError` for the first element outside `atol + rtol·|numeric|`.
    public static func gradcheck(_ function: ([Tensor]) -> Tensor, inputs: [Tensor], eps: Float = 1e-3,
                                 atol: Float = 1e-3, rtol: Float = 1e-2) throws {
        let leaves = inputs.map { input in
            input.dtype == .float32 ? input.detach().clone().requiringGrad(input.requiresGrad) : input
        }
        let checked = leaves.indices.filter { leaves[$0].requiresGrad }
        guard !checked.isEmpty else { return }
        let output = enableGrad { function(leaves) }
        // A fixed, irregular projection, so that no output element's gradient is left out.
        let projection = Tensor((0..<output.count).map { Float(Foundation.sin(Double($0) * 1.7 + 0.3)) },
                                shape: output.shape, device: output.device)
        let analytic = grad(of: (output * projection).sum(), wrt: checked.map { leaves[$0] }, allowUnused: true)
        // Summed in double: a float32 sum's rounding would swamp the differences of large outputs.
        let weights = projection.toArray().map(Double.init)
        func projected() -> Double {
            zip(noGrad { function(leaves) }.toArray(), weights).reduce(0) { $0 + Double($1.0) * $1.1 }
        }
        for (position, i) in checked.enumerated() {
            let leaf = leaves[i], expected = analytic[position].toArray()
            for element in 0..<leaf.count {
                let entry = noGrad { leaf.reshape([-1]).narrow(0, start: element, length: 1) }
                let original = noGrad { entry.item() }
                noGrad { _ = entry.fill_(original + eps) }
                let above = projected()
                noGrad { _ = entry.fill_(original - eps) }
                let below = projected()
                noGrad { _ = entry.fill_(original) }
                let numeric = Float((above - below) / (2 * Double(eps)))
                if Swift.abs(expected[element] - numeric) > atol + rtol * Swift.abs(numeric) {
                    throw GradCheckError(input: i, element: element, analytic: expected[element], numeric: numeric, eps: eps)
                }
            }
        }
    }
}
