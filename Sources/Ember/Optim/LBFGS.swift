/// L-BFGS, following `torch.optim.LBFGS`: a quasi-Newton method that builds a curvature estimate from
/// the last `historySize` steps and, with `lineSearch: .strongWolfe`, picks each step length by a
/// line search. Suited to full-batch problems with smooth losses (physics-informed networks, style
/// transfer, small regressions), where it needs far fewer steps than first-order methods.
///
/// Each `step` evaluates the loss several times, so it takes a closure that recomputes it:
///
///     let optimizer = LBFGS(model.parameters(), lineSearch: .strongWolfe)
///     for _ in 0..<50 {
///         optimizer.step {
///             optimizer.zeroGrad()
///             let loss = mseLoss(model(x), y)
///             loss.backward()
///             return loss
///         }
///     }
///
/// State (on the first parameter, as PyTorch keeps it): "func_evals", "n_iter", the last direction
/// "d" and step length "t", "H_diag", "prev_flat_grad", "prev_loss", and the history "old_dirs.k",
/// "old_stps.k", "ro.k" (flat vectors over all parameters, oldest first).
public final class LBFGS: Optimizer {
    public enum LineSearch: Sendable { case none, strongWolfe }

    public var maxIter: Int, maxEval: Int, historySize: Int
    public var toleranceGrad: Float, toleranceChange: Float
    public let lineSearch: LineSearch

    public init(_ parameters: [Tensor], lr: Float = 1, maxIter: Int = 20, maxEval: Int? = nil,
                toleranceGrad: Float = 1e-7, toleranceChange: Float = 1e-9, historySize: Int = 100,
                lineSearch: LineSearch = .none) {
        precondition(!parameters.isEmpty, "Ember: LBFGS needs at least one parameter")
        precondition(maxIter >= 1 && historySize >= 1, "Ember: LBFGS needs maxIter and historySize of at least 1")
        self.maxIter = maxIter
        self.maxEval = maxEval ?? maxIter * 5 / 4
        self.historySize = historySize
        self.toleranceGrad = toleranceGrad
        self.toleranceChange = toleranceChange
        self.lineSearch = lineSearch
        super.init(parameters, lr: lr)
    }

    public override func step() {
        fatalError("Ember: LBFGS evaluates the loss several times per step: call step { ... } with a closure "
            + "that zeroes the gradients, computes the loss, calls backward() and returns the loss")
    }

    /// Runs up to `maxIter` L-BFGS iterations, calling `closure` for each loss and gradient it needs.
    /// Returns the loss of the first evaluation, as PyTorch's does.
    @discardableResult
    public func step(_ closure: () -> Tensor) -> Tensor {
        var memory = Memory(state[0], historySize: historySize)
        let originalLoss = enableGrad(closure)
        var loss = Double(originalLoss.item())
        var evaluations = 1
        memory.functionEvaluations += 1
        var flatGrad = gatherFlatGrad()
        if maxAbs(flatGrad) <= toleranceGrad {
            state[0] = memory.entries
            return originalLoss
        }
        var iteration = 0
        while iteration < maxIter {
            iteration += 1
            memory.iterations += 1
            let direction = memory.iterations == 1 ? noGrad { -flatGrad } : memory.direction(for: flatGrad)
            memory.previousFlatGrad = noGrad { flatGrad.clone() }
            memory.previousLoss = loss
            // The first step is scaled down by the gradient's size; later ones start at lr.
            var stepLength = memory.iterations == 1
                ? Double(Swift.min(1, 1 / noGrad { flatGrad.abs().sum() }.item()) * lr) : Double(lr)
            let slope = dot(flatGrad, direction)
            memory.direction = direction
            memory.stepLength = stepLength
            if slope > -toleranceChange { break }
            var lineEvaluations = 0
            var optimal = false
            switch lineSearch {
            case .strongWolfe:
                let start = parameters.map { p in noGrad { p.clone() } }
                let found = strongWolfe(closure, start: start, stepLength: stepLength, direction: direction, loss: loss,
                                        grad: flatGrad, slope: slope, maxSteps: maxEval - evaluations)
                (loss, flatGrad, stepLength, lineEvaluations) = found
                addToParameters(direction, scale: stepLength)
                optimal = maxAbs(flatGrad) <= toleranceGrad
            case .none:
                addToParameters(direction, scale: stepLength)
                if iteration != maxIter {
                    loss = Double(enableGrad(closure).item())
                    flatGrad = gatherFlatGrad()
                    optimal = maxAbs(flatGrad) <= toleranceGrad
                    lineEvaluations = 1
                }
            }
            memory.stepLength = stepLength
            evaluations += lineEvaluations
            memory.functionEvaluations += lineEvaluations
            if iteration == maxIter || evaluations >= maxEval || optimal { break }
            // No progress left in the parameters or the loss.
            if Double(maxAbs(direction)) * Swift.abs(stepLength) <= Double(toleranceChange) { break }
            if Swift.abs(loss - memory.previousLoss) < Double(toleranceChange) { break }
        }
        state[0] = memory.entries
        return originalLoss
    }

    public override var hyperparameters: [String: Float] {
        get {
            ["lr": lr, "max_iter": Float(maxIter), "max_eval": Float(maxEval), "tolerance_grad": toleranceGrad,
             "tolerance_change": toleranceChange, "history_size": Float(historySize)]
        }
        set {
            lr = newValue["lr"] ?? lr
            maxIter = newValue["max_iter"].map { Int($0) } ?? maxIter
            maxEval = newValue["max_eval"].map { Int($0) } ?? maxEval
            toleranceGrad = newValue["tolerance_grad"] ?? toleranceGrad
            toleranceChange = newValue["tolerance_change"] ?? toleranceChange
            historySize = newValue["history_size"].map { Int($0) } ?? historySize
        }
    }

    /// Its scalars (counts, step length, curvature factors) are read on the host every iteration.
    public override func keepsStateOnHost(_ name: String, shape: [Int]) -> Bool { shape.isEmpty }

    /// The flat vectors of its state span all parameters.
    public override func acceptsState(_ name: String, shape: [Int], parameter index: Int) -> Bool {
        super.acceptsState(name, shape: shape, parameter: index) || (index == 0 && shape == [totalCount])
    }

    // MARK: Flat vectors over all parameters

    private var totalCount: Int { parameters.reduce(0) { $0 + $1.count } }

    /// Every parameter's gradient (zeros where there is none), flattened and joined.
    private func gatherFlatGrad() -> Tensor {
        noGrad {
            Tensor.cat(parameters.map { p in (p.grad ?? Tensor.zeros(like: p)).reshape([-1]) }, dim: 0)
        }
    }

    /// Adds scale · vector to the parameters, each its own slice of the flat vector.
    private func addToParameters(_ vector: Tensor, scale: Double) {
        noGrad {
            var offset = 0
            for p in parameters {
                p.add_(vector.narrow(0, start: offset, length: p.count).reshape(p.shape), alpha: Float(scale))
                offset += p.count
            }
        }
    }

    private func setParameters(_ values: [Tensor]) {
        noGrad { for (p, value) in zip(parameters, values) { p.copy_(value) } }
    }

    /// The loss and flat gradient at start + t·direction; the parameters are put back after.
    private func evaluate(_ closure: () -> Tensor, start: [Tensor], t: Double, direction: Tensor) -> (Double, Tensor) {
        addToParameters(direction, scale: t)
        let loss = Double(enableGrad(closure).item())
        let grad = gatherFlatGrad()
        setParameters(start)
        return (loss, grad)
    }

    // MARK: Strong Wolfe line search

    /// A step length meeting the strong Wolfe conditions (sufficient decrease c1, curvature c2) along
    /// `direction`: bracketing by cubic extrapolation, then zooming in by cubic interpolation, as in
    /// minFunc and PyTorch. Returns the loss and gradient there, the length and the evaluations made.
    private func strongWolfe(_ closure: () -> Tensor, start: [Tensor], stepLength: Double, direction: Tensor,
                             loss f: Double, grad g: Tensor, slope gtd: Float, maxSteps: Int, c1: Double = 1e-4,
                             c2: Double = 0.9) -> (Double, Tensor, Double, Int) {
        let directionSize = Double(maxAbs(direction))
        let gtd = Double(gtd)
        var t = stepLength
        var (fNew, gNew) = evaluate(closure, start: start, t: t, direction: direction)
        var evaluations = 1
        var gtdNew = Double(dot(gNew, direction))
        var (tPrev, fPrev, gPrev, gtdPrev) = (0.0, f, g, gtd)
        var done = false
        var steps = 0
        // Points of the bracket: step length, loss, gradient, slope.
        var bracket: [(t: Double, f: Double, g: Tensor, gtd: Double)] = []
        while steps < maxSteps {
            if fNew > f + c1 * t * gtd || (steps > 1 && fNew >= fPrev) {
                bracket = [(tPrev, fPrev, gPrev, gtdPrev), (t, fNew, gNew, gtdNew)]
                break
            }
            if Swift.abs(gtdNew) <= -c2 * gtd {
                bracket = [(t, fNew, gNew, gtdNew)]
                done = true
                break
            }
            if gtdNew >= 0 {
                bracket = [(tPrev, fPrev, gPrev, gtdPrev), (t, fNew, gNew, gtdNew)]
                break
            }
            // Extrapolate, between 1.01 and 10 times further.
            let next = cubicMinimum(tPrev, fPrev, gtdPrev, t, fNew, gtdNew,
                                    bounds: (t + 0.01 * (t - tPrev), t * 10))
            (tPrev, fPrev, gPrev, gtdPrev) = (t, fNew, gNew, gtdNew)
            t = next
            (fNew, gNew) = evaluate(closure, start: start, t: t, direction: direction)
            evaluations += 1
            gtdNew = Double(dot(gNew, direction))
            steps += 1
        }
        if steps == maxSteps { bracket = [(0, f, g, gtd), (t, fNew, gNew, gtdNew)] }

        // Zoom: shrink the bracket until a point meets both conditions.
        var insufficientProgress = false
        var (low, high) = bracket[0].f <= bracket[bracket.count - 1].f ? (0, 1) : (1, 0)
        while !done && steps < maxSteps {
            // PyTorch's zoom uses its own tolerance (1e-9), not the optimizer's toleranceChange.
            if Swift.abs(bracket[1].t - bracket[0].t) * directionSize < 1e-9 { break }
            t = cubicMinimum(bracket[0].t, bracket[0].f, bracket[0].gtd, bracket[1].t, bracket[1].f, bracket[1].gtd)
            let lo = Swift.min(bracket[0].t, bracket[1].t), hi = Swift.max(bracket[0].t, bracket[1].t)
            let margin = 0.1 * (hi - lo)
            // Too close to an end: move away from it, unless the last step made progress.
            if Swift.min(hi - t, t - lo) < margin {
                if insufficientProgress || t >= hi || t <= lo {
                    t = Swift.abs(t - hi) < Swift.abs(t - lo) ? hi - margin : lo + margin
                    insufficientProgress = false
                } else {
                    insufficientProgress = true
                }
            } else {
                insufficientProgress = false
            }
            (fNew, gNew) = evaluate(closure, start: start, t: t, direction: direction)
            evaluations += 1
            gtdNew = Double(dot(gNew, direction))
            steps += 1
            if fNew > f + c1 * t * gtd || fNew >= bracket[low].f {
                bracket[high] = (t, fNew, gNew, gtdNew)
                (low, high) = bracket[0].f <= bracket[1].f ? (0, 1) : (1, 0)
            } else {
                if Swift.abs(gtdNew) <= -c2 * gtd {
                    done = true
                } else if gtdNew * (bracket[high].t - bracket[low].t) >= 0 {
                    bracket[high] = bracket[low]
                }
                bracket[low] = (t, fNew, gNew, gtdNew)
            }
        }
        return (bracket[low].f, bracket[low].g, bracket[low].t, evaluations)
    }

    /// The minimum of the cubic through (x1, f1) and (x2, f2) with slopes g1 and g2, clamped to
    /// `bounds` (by default the interval between the points); their middle if it has none.
    private func cubicMinimum(_ x1: Double, _ f1: Double, _ g1: Double, _ x2: Double, _ f2: Double, _ g2: Double,
                              bounds: (Double, Double)? = nil) -> Double {
        let (lower, upper) = bounds ?? (Swift.min(x1, x2), Swift.max(x1, x2))
        let d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
        let d2Square = d1 * d1 - g1 * g2
        guard d2Square >= 0 else { return (lower + upper) / 2 }
        let d2 = d2Square.squareRoot()
        let minimum = x1 <= x2 ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
            : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return Swift.min(Swift.max(minimum, lower), upper)
    }
}

/// L-BFGS's memory between steps, read from and written back to the first parameter's state.
private struct Memory {
    var functionEvaluations: Int
    var iterations: Int
    var direction: Tensor?
    var stepLength: Double?
    var hessianDiagonal: Float
    var previousFlatGrad: Tensor?
    var previousLoss: Double
    /// Steps s and gradient changes y, oldest first, with ρ = 1 / (y·s).
    var steps: [Tensor], gradChanges: [Tensor], rhos: [Float]
    let historySize: Int

    init(_ entries: [String: Tensor], historySize: Int) {
        func scalar(_ name: String) -> Float? { entries[name]?.item() }
        func list(_ name: String) -> [Tensor] {
            (0...).lazy.map { entries["\(name).\($0)"] }.prefix { $0 != nil }.map { $0! }
        }
        functionEvaluations = Int(scalar("func_evals") ?? 0)
        iterations = Int(scalar("n_iter") ?? 0)
        direction = entries["d"]
        stepLength = scalar("t").map(Double.init)
        hessianDiagonal = scalar("H_diag") ?? 1
        previousFlatGrad = entries["prev_flat_grad"]
        previousLoss = Double(scalar("prev_loss") ?? 0)
        gradChanges = list("old_dirs")
        steps = list("old_stps")
        rhos = list("ro").map { $0.item() }
        self.historySize = historySize
    }

    var entries: [String: Tensor] {
        var out: [String: Tensor] = ["func_evals": Tensor(Float(functionEvaluations)), "n_iter": Tensor(Float(iterations)),
                                     "H_diag": Tensor(hessianDiagonal), "prev_loss": Tensor(Float(previousLoss))]
        if let direction { out["d"] = direction }
        if let stepLength { out["t"] = Tensor(Float(stepLength)) }
        if let previousFlatGrad { out["prev_flat_grad"] = previousFlatGrad }
        for (k, (y, s)) in zip(gradChanges, steps).enumerated() {
            out["old_dirs.\(k)"] = y
            out["old_stps.\(k)"] = s
            out["ro.\(k)"] = Tensor(rhos[k])
        }
        return out
    }

    /// The next direction −H·g by the two-loop recursion, after adding the last step to the history
    /// when it curved upward enough (y·s > 1e-10).
    mutating func direction(for flatGrad: Tensor) -> Tensor {
        noGrad {
            let y = flatGrad - previousFlatGrad!
            let s = direction! * Float(stepLength!)
            let ys = dot(y, s)
            if ys > 1e-10 {
                if gradChanges.count == historySize {
                    gradChanges.removeFirst(); steps.removeFirst(); rhos.removeFirst()
                }
                gradChanges.append(y)
                steps.append(s)
                rhos.append(1 / ys)
                hessianDiagonal = ys / dot(y, y)
            }
            var alphas = [Float](repeating: 0, count: steps.count)
            let q = -flatGrad
            for i in stride(from: steps.count - 1, through: 0, by: -1) {
                alphas[i] = dot(steps[i], q) * rhos[i]
                q.add_(gradChanges[i], alpha: -alphas[i])
            }
            let r = q * hessianDiagonal
            for i in 0..<steps.count {
                let beta = dot(gradChanges[i], r) * rhos[i]
                r.add_(steps[i], alpha: alphas[i] - beta)
            }
            return r
        }
    }
}

private func dot(_ a: Tensor, _ b: Tensor) -> Float { noGrad { (a * b).sum().item() } }
private func maxAbs(_ a: Tensor) -> Float { noGrad { a.abs().max().item() } }
