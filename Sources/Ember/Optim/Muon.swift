/// Muon, following `torch.optim.Muon`: SGD momentum whose update is orthogonalized (its singular
/// values pushed towards 1 by a Newton–Schulz iteration) before it is applied. It is meant for the
/// 2-D weights of hidden layers; give biases, embeddings and norms to another optimizer:
///
///     let hidden = [model.fc1.weight, model.fc2.weight]        // not the embeddings nor the output layer
///     let others = model.parameters().filter { p in !hidden.contains { $0 === p } }
///     let muon = Muon(hidden, lr: 0.02), adamW = AdamW(others, lr: 3e-4)
///
/// Each step, for a weight W (A×B, fan-out × fan-in) and its gradient g, with momentum buffer M:
///
///     M = lerp(M, g, 1 − momentum);  U = nesterov ? lerp(g, M, momentum) : M
///     O = newtonSchulz(U);  W *= 1 − lr·weightDecay;  W −= adjustedLR(lr, A, B)·O
///
/// PyTorch runs the iteration in bfloat16; Ember runs it in float32 (the only floating type it has),
/// which is more exact: the two drift a few thousandths of a weight apart over a few steps. Its saved
/// state keeps the rate, weight decay and momentum; the other settings are the optimizer's own.
public final class Muon: Optimizer {
    /// How the rate is scaled for a weight of shape A×B, so that rectangular weights move alike.
    public enum LRAdjustment: Sendable {
        /// √max(1, A/B), Keller Jordan's original (PyTorch's default, "original").
        case original
        /// 0.2·√max(A, B), Moonshot's, so that AdamW's rate and weight decay carry over ("match_rms_adamw").
        case matchRMSAdamW
        /// √(A/B), Jeremy Bernstein's spectral condition ("spectral_unclamped").
        case spectralUnclamped

        func scale(rows: Int, cols: Int) -> Float {
            let (a, b) = (Double(rows), Double(cols))
            switch self {
            case .original: return Float(max(1, a / b).squareRoot())
            case .matchRMSAdamW: return Float(0.2 * max(a, b).squareRoot())
            case .spectralUnclamped: return Float((a / b).squareRoot())
            }
        }
    }

    public var weightDecay: Float, momentum: Float
    public let nesterov: Bool
    /// The quintic's coefficients (a, b, c): X ← a·X + (b·XXᵀ + c·(XXᵀ)²)·X.
    public let nsCoefficients: (Float, Float, Float)
    public let nsSteps: Int
    public let eps: Float
    public let adjustLR: LRAdjustment

    public init(_ parameters: [Tensor], lr: Float = 1e-3, weightDecay: Float = 0.1, momentum: Float = 0.95,
                nesterov: Bool = true, nsCoefficients: (Float, Float, Float) = (3.4445, -4.7750, 2.0315),
                eps: Float = 1e-7, nsSteps: Int = 5, adjustLR: LRAdjustment = .original) {
        precondition(momentum >= 0, "Ember: Muon: momentum must be non-negative, got \(momentum)")
        precondition(weightDecay >= 0, "Ember: Muon: weightDecay must be non-negative, got \(weightDecay)")
        precondition((0..<100).contains(nsSteps), "Ember: Muon: nsSteps must be in 0..<100, got \(nsSteps)")
        for (i, p) in parameters.enumerated() where p.rank != 2 {
            preconditionFailure("Ember: Muon: parameter \(i) has shape \(p.shape), but Muon only updates 2-D weights; "
                + "give biases, embeddings and norms to another optimizer such as AdamW")
        }
        (self.weightDecay, self.momentum, self.nesterov) = (weightDecay, momentum, nesterov)
        (self.nsCoefficients, self.nsSteps, self.eps, self.adjustLR) = (nsCoefficients, nsSteps, eps, adjustLR)
        super.init(parameters, lr: lr)
    }

    public override func update(_ p: Tensor, grad: Tensor, state: inout [String: Tensor]) {
        let buffer = self.buffer("momentum_buffer", like: p, in: &state)
        buffer.lerp_(grad, weight: 1 - momentum)
        let direction = nesterov ? grad.lerp(buffer, weight: momentum) : buffer
        let orthogonal = Muon.newtonSchulz(direction, coefficients: nsCoefficients, steps: nsSteps, eps: eps)
        if weightDecay != 0 { p.mul_(1 - lr * weightDecay) }
        p.add_(orthogonal, alpha: -lr * adjustLR.scale(rows: p.shape[0], cols: p.shape[1]))
    }

    /// Approximately orthogonalizes a matrix (U·S'·Vᵀ with S' near 1 where G = U·S·Vᵀ) by `steps` rounds
    /// of the quintic Newton–Schulz iteration, after scaling G to a Frobenius norm of 1 (so every
    /// singular value starts ≤ 1). A tall matrix is iterated as its transpose, on the smaller Gram matrix.
    public static func newtonSchulz(_ g: Tensor, coefficients: (Float, Float, Float) = (3.4445, -4.7750, 2.0315),
                                    steps: Int = 5, eps: Float = 1e-7) -> Tensor {
        precondition(g.rank == 2, "Ember: Muon.newtonSchulz: expected a matrix, got shape \(g.shape)")
        let (a, b, c) = coefficients
        let tall = g.shape[0] > g.shape[1]
        var x = tall ? g.t() : g
        x = x / x.norm().clamp(min: eps)
        for _ in 0..<steps {
            let gram = x.matmul(x.t())
            x = a * x + (b * gram + c * gram.matmul(gram)).matmul(x)
        }
        return tall ? x.t() : x
    }

    /// The update uses no numbers read on the host, so a captured step replays correctly.
    public override var isGraphCapturable: Bool { true }

    public override var hyperparameters: [String: Float] {
        get { ["lr": lr, "weight_decay": weightDecay, "momentum": momentum] }
        set {
            lr = newValue["lr"] ?? lr; weightDecay = newValue["weight_decay"] ?? weightDecay
            momentum = newValue["momentum"] ?? momentum
        }
    }
}
