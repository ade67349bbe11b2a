import Foundation

/// The modified Bessel functions of the first kind, like `torch.special.i0`, `i0e`, `i1` and `i1e`:
/// the von Mises distribution's normalizer, Kaiser windows. Computed in double precision on the host
/// (a power series up to |x| = 15, the asymptotic expansion beyond), with gradients
/// I₀′ = I₁ and I₁′ = I₀ − I₁/x.
extension Tensor {
    /// I₀(x).
    public func i0() -> Tensor {
        besselResult { BesselI.value(order: 0, $0, scaled: false) }
            .recording("i0", inputs: [self]) { [self] g in [g * self.detach().i1()] }
    }

    /// e^(−|x|)·I₀(x), which stays finite where I₀ overflows (|x| > 88 in float32).
    public func i0e() -> Tensor {
        besselResult { BesselI.value(order: 0, $0, scaled: true) }
            .recording("i0e", inputs: [self]) { [self] g in
                let x = self.detach()
                return [g * (x.i1e() - x.sign() * x.i0e())]
            }
    }

    /// I₁(x).
    public func i1() -> Tensor {
        besselResult { BesselI.value(order: 1, $0, scaled: false) }
            .recording("i1", inputs: [self]) { [self] g in [g * BesselI.derivativeOfI1(self.detach(), scaled: false)] }
    }

    /// e^(−|x|)·I₁(x).
    public func i1e() -> Tensor {
        besselResult { BesselI.value(order: 1, $0, scaled: true) }
            .recording("i1e", inputs: [self]) { [self] g in
                let x = self.detach()
                return [g * (BesselI.derivativeOfI1(x, scaled: true) - x.sign() * x.i1e())]
            }
    }

    /// `function` of every element, computed on the host in double precision.
    func besselResult(_ function: (Double) -> Double) -> Tensor {
        guard dtype == .float32 else {
            shapeFailure(ShapeError("Bessel functions: need a float32 tensor, got \(dtype) of shape \(shape)"))
        }
        let values = noGrad { detach().contiguous().toArray() }
        return Tensor(values.map { Float(function(Double($0))) }, shape: shape).to(device)
    }
}

enum BesselI {
    /// Iₙ(x) for n = 0 or 1, times e^(−|x|) when `scaled`.
    static func value(order: Int, _ x: Double, scaled: Bool) -> Double {
        let magnitude = Swift.abs(x)
        // I₁ is odd, I₀ even.
        let sign: Double = order == 1 && x < 0 ? -1 : 1
        guard magnitude.isFinite else { return x.isNaN ? .nan : (scaled ? 0 : sign * .infinity) }
        if magnitude <= 15 {
            // Σₖ (x/2)^(2k+n) / (k!(k+n)!).
            let quarter = magnitude * magnitude / 4
            var term = order == 0 ? 1 : magnitude / 2
            var sum = term
            for k in 1..<200 {
                term *= quarter / (Double(k) * Double(k + order))
                sum += term
                if term < sum * 1e-17 { break }
            }
            return sign * (scaled ? sum * Foundation.exp(-magnitude) : sum)
        }
        // e^x/√(2πx)·Σₖ (−1)^k·Πⱼ(4n² − (2j − 1)²)/(k!·(8x)^k); for x > 15 the terms shrink past 1e-16
        // well before they would start to grow.
        let mu = Double(4 * order * order)
        var term = 1.0, sum = 1.0
        for k in 1..<30 {
            let odd = Double(2 * k - 1)
            term *= -(mu - odd * odd) / (Double(k) * 8 * magnitude)
            sum += term
            if Swift.abs(term) < 1e-17 * Swift.abs(sum) { break }
        }
        let scaledValue = sum / (2 * Double.pi * magnitude).squareRoot()
        return sign * (scaled ? scaledValue : scaledValue * Foundation.exp(magnitude))
    }

    /// I₁′(x) = I₀(x) − I₁(x)/x, times e^(−|x|) when `scaled`: in double precision, and ½ (scaled: ½e^(−|x|))
    /// within float32's ε of 0, where I₁(x)/x → ½ but the float quotient does not get there.
    static func derivativeOfI1(_ x: Tensor, scaled: Bool) -> Tensor {
        noGrad {
            x.besselResult { x in
                let magnitude = Swift.abs(x)
                guard magnitude > Double(Float.ulpOfOne) else { return scaled ? 0.5 * Foundation.exp(-magnitude) : 0.5 }
                return value(order: 0, x, scaled: scaled) - value(order: 1, x, scaled: scaled) / x
            }
        }
    }

    /// I₁(x)/I₀(x) for x ≥ 0, in double precision (→ 1 − 1/(2x) for large x).
    static func ratio(_ x: Double) -> Double { value(order: 1, x, scaled: true) / value(order: 0, x, scaled: true) }
}
