import Foundation

/// The von Mises distribution on the circle, like `torch.distributions.VonMises`: angles (wind
/// directions, joint angles, phases) concentrated around `loc` by `concentration` κ, with density
/// e^(κ·cos(x − loc)) / (2π·I₀(κ)). Samples lie in [−π, π), drawn on the host by Best and Fisher's
/// rejection method (in double precision, as PyTorch); they carry no gradient, as PyTorch's.
public struct VonMises: Distribution {
    public let loc: Tensor
    public let concentration: Tensor

    public init(loc: Tensor, concentration: Tensor) {
        let parameters = broadcastParameters([loc, concentration], "VonMises")
        (self.loc, self.concentration) = (parameters[0], parameters[1])
    }

    public init(loc: Float, concentration: Float) { self.init(loc: Tensor(loc), concentration: Tensor(concentration)) }

    public var batchShape: [Int] { loc.shape }
    public var eventShape: [Int] { [] }
    /// The circular mean.
    public var mean: Tensor { loc }
    public var mode: Tensor { loc }
    /// The circular variance 1 − I₁(κ)/I₀(κ), in double precision (≈ 1/(2κ) for large κ, which a float32
    /// difference would lose), with derivative −(1 − r/κ − r²) for r = I₁/I₀.
    public var variance: Tensor {
        circularFunction(name: "variance", { 1 - BesselI.ratio($0) }) { kappa in
            guard kappa > 0 else { return -0.5 }
            let r = BesselI.ratio(kappa)
            return -(1 - r / kappa - r * r)
        }
    }

    /// κ·cos(x − loc) − log 2π − log I₀(κ), with log I₀(κ) = log(e^(−|κ|)I₀(κ)) + |κ| so that large κ stays
    /// finite (and its slope is 0 at κ = 0).
    public func logProb(_ value: Tensor) -> Tensor {
        concentration * (value - loc).cos() - Float(Foundation.log(2 * Double.pi)) - (concentration.i0e().log() + concentration.abs())
    }

    /// log(2π·I₀(κ)) − κ·I₁(κ)/I₀(κ), in double precision as log 2π + log(e^(−κ)I₀(κ)) + κ·(1 − r), with
    /// derivative −κ·r′. (PyTorch has none.)
    public func entropy() -> Tensor {
        circularFunction(name: "entropy", { kappa in
            Foundation.log(2 * Double.pi) + Foundation.log(BesselI.value(order: 0, kappa, scaled: true)) + kappa * (1 - BesselI.ratio(kappa))
        }) { kappa in
            guard kappa > 0 else { return 0 }
            let r = BesselI.ratio(kappa)
            return -kappa * (1 - r / kappa - r * r)
        }
    }

    /// `value` of each concentration, computed on the host in double precision, with `derivative` as its gradient.
    private func circularFunction(name: String, _ value: @escaping (Double) -> Double, derivative: @escaping (Double) -> Double) -> Tensor {
        let kappa = concentration
        return kappa.besselResult(value).recording("VonMises.\(name)", inputs: [kappa]) { g in
            [g * noGrad { kappa.detach().besselResult(derivative) }]
        }
    }

    public func sample(_ sampleShape: [Int], generator: RandomGenerator) -> Tensor {
        let shape = sampleShape + batchShape
        let (locs, kappas) = noGrad {
            (loc.detach().expand(shape).contiguous().toArray(), concentration.detach().expand(shape).contiguous().toArray())
        }
        // A Double just below π can round to π in float32: moved to −π, to stay in [−π, π).
        let draws = zip(locs, kappas).map { (loc, kappa) -> Float in
            let angle = Float(Self.draw(loc: Double(loc), kappa: Double(kappa), generator))
            return angle >= Float.pi ? -Float.pi : angle
        }
        return Tensor(draws, shape: shape).to(loc.device)
    }

    /// One angle in [−π, π): Best and Fisher (1979), a wrapped Cauchy envelope; κ = 0 is uniform. Above
    /// κ = 10⁶ the envelope's r rounds towards 1 and every proposal would be rejected, so (as numpy) the
    /// normal approximation N(loc, 1/κ) is drawn there.
    static func draw(loc: Double, kappa: Double, _ generator: RandomGenerator) -> Double {
        guard kappa > 0 else {
            return kappa == 0 ? wrapped(Double(generator.nextFloat()) * 2 * Double.pi + loc) : .nan
        }
        if kappa > 1e6 { return wrapped(loc + (kappa.isFinite ? Double(generator.nextNormal()) / kappa.squareRoot() : 0)) }
        let r: Double
        if kappa < 1e-5 {
            r = 1 / kappa + kappa
        } else {
            let tau = 1 + (1 + 4 * kappa * kappa).squareRoot()
            let rho = (tau - (2 * tau).squareRoot()) / (2 * kappa)
            r = (1 + rho * rho) / (2 * rho)
        }
        while true {
            let (u1, u2, u3) = (Double(generator.nextFloat()), Double(generator.nextFloat()), Double(generator.nextFloat()))
            let z = Foundation.cos(Double.pi * u1)
            let f = (1 + r * z) / (r + z)
            let c = kappa * (r - f)
            if c * (2 - c) - u2 > 0 || Foundation.log(c / u2) + 1 - c >= 0 {
                let angle = (u3 - 0.5 < 0 ? -1.0 : 1.0) * Foundation.acos(Swift.min(Swift.max(f, -1), 1))
                return wrapped(angle + loc)
            }
        }
    }

    /// The angle moved into [−π, π) (Python's `%`, whose result has the divisor's sign).
    private static func wrapped(_ angle: Double) -> Double {
        let turn = 2 * Double.pi
        let shifted = (angle + Double.pi).truncatingRemainder(dividingBy: turn)
        return (shifted < 0 ? shifted + turn : shifted) - Double.pi
    }
}
