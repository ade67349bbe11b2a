/// Finding and replacing NaN and infinities, like `torch.isnan`, `isinf`, `isfinite`, `isposinf`,
/// `isneginf` and `nan_to_num`. The tests give float32 0/1, as Ember's comparisons do; an int64
/// tensor holds no NaN or infinity.
extension Tensor {
    /// 1 where the element is NaN (the one value not equal to itself).
    public func isNaN() -> Tensor { ne(self) }

    /// 1 where the element is +∞ or −∞.
    public func isInf() -> Tensor { dtype == .int64 ? Tensor.zeros(shape, device: device) : abs().eq(.infinity) }

    public func isPosInf() -> Tensor { eq(.infinity) }

    public func isNegInf() -> Tensor { eq(-.infinity) }

    /// 1 where the element is neither NaN nor infinite (NaN compares false with everything).
    public func isFinite() -> Tensor { dtype == .int64 ? Tensor.ones(shape, device: device) : abs().lt(.infinity) }

    /// NaN, +∞ and −∞ replaced by `nan`, `posinf` and `neginf` (by default 0 and the largest and
    /// smallest finite floats), like `torch.nan_to_num`. The gradient flows where the input was finite.
    public func nanToNum(nan: Float = 0, posinf: Float? = nil, neginf: Float? = nil) -> Tensor {
        if dtype == .int64 { return clone() }
        let masks = noGrad { (isNaN(), isPosInf(), isNegInf()) }
        return maskedFill(masks.0, nan)
            .maskedFill(masks.1, posinf ?? .greatestFiniteMagnitude)
            .maskedFill(masks.2, neginf ?? -.greatestFiniteMagnitude)
    }
}
