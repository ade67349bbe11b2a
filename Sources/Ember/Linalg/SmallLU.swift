import CEmberKernels

/// LU factorizations of small matrices (up to `maxOrder` rows) and batches of them, for `inv`, `solve` and
/// the determinants: C loops on the row-major matrices as they lie in the tensor (SmallLU.c), the
/// batch spread over the cores. On 10,000 4×4 matrices one LAPACK call per matrix spent most of its
/// time in per-call overhead and column-major copies.
enum SmallLU {
    /// The largest order sent here. Measured (`ember-bench linalg`, 2 threads): inverses of 1,000
    /// 32×32 matrices take 9.0 ms here and 18.7 ms through LAPACK, of 200 64×64 ones 7.3 and 11.3 ms;
    /// larger matrices go to LAPACK's blocked factorization.
    static let maxOrder = 64

    /// X with A·X = B for each matrix A of `coefficients`, row-major, and B from `rightSides` (the
    /// identity when nil, giving A⁻¹); or the first matrix whose LU factorization has a zero pivot,
    /// with LAPACK's `info`.
    static func solve(_ coefficients: HostMatrices, rightSides: HostMatrices?, columns: Int)
        -> (solutions: [Float], singular: (index: Int, info: Int)?) {
        let (n, count) = (coefficients.rows, coefficients.count)
        var infos = [Int64](repeating: 0, count: count)
        let solutions = [Float](unsafeUninitializedCapacity: count * n * columns) { out, initialized in
            infos.withUnsafeMutableBufferPointer { info in
                coefficients.withRowMajorValues { a in
                    withOptionalValues(rightSides) { b in
                        forEachRange(count, order: n) { range, factors, pivots in
                            _ = ember_lu_solve_batch_f32(a + range.lowerBound * n * n, b.map { $0 + range.lowerBound * n * columns },
                                                         Int64(n), Int64(columns), Int64(range.count),
                                                         out.baseAddress! + range.lowerBound * n * columns,
                                                         info.baseAddress! + range.lowerBound, factors, pivots)
                        }
                    }
                }
            }
            initialized = count * n * columns
        }
        let failed = infos.firstIndex { $0 != 0 }
        return (solutions, failed.map { ($0, Int(infos[$0])) })
    }

    /// Each matrix's determinant as a sign (0 when singular) and log|det| (−∞ when singular), the
    /// pivots' logs summed in double.
    static func determinants(_ matrices: HostMatrices) -> (signs: [Double], logs: [Double]) {
        let (n, count) = (matrices.rows, matrices.count)
        var signs = [Double](repeating: 0, count: count), logs = [Double](repeating: 0, count: count)
        signs.withUnsafeMutableBufferPointer { signs in
            logs.withUnsafeMutableBufferPointer { logs in
                matrices.withRowMajorValues { a in
                    forEachRange(count, order: n) { range, factors, pivots in
                        ember_lu_log_det_batch_f32(a + range.lowerBound * n * n, Int64(n), Int64(range.count),
                                                   signs.baseAddress! + range.lowerBound, logs.baseAddress! + range.lowerBound,
                                                   factors, pivots)
                    }
                }
            }
        }
        return (signs, logs)
    }

    private static func withOptionalValues<R>(_ matrices: HostMatrices?, _ body: (UnsafePointer<Float>?) -> R) -> R {
        guard let matrices else { return body(nil) }
        return matrices.withRowMajorValues { body($0) }
    }

    /// Runs `body(range, factors, pivots)` on ranges of the batch spread over the cores, with scratch
    /// space for one matrix's factors and pivots per range.
    private static func forEachRange(_ count: Int, order n: Int,
                                     _ body: (Range<Int>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Int64>) -> Void) {
        Parallel.chunks(count, grain: Swift.max(1, Parallel.grain / Swift.max(n * n * n, 1))) { range in
            let factors = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(n * n, 1))
            let pivots = UnsafeMutablePointer<Int64>.allocate(capacity: Swift.max(n, 1))
            defer { factors.deallocate(); pivots.deallocate() }
            body(range, factors, pivots)
        }
    }
}
