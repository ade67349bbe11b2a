import Testing
@testable import Ember

/// nonzero, maskedSelect, unique, bincount and median against PyTorch (selection.json, from
/// scripts/make_selection_fixtures.py).
@Suite("Selection ops")
struct SelectionTests {
    let fixture: [String: Any]
    init() throws { fixture = try loadFixture("selection.json") }

    /// A fixture input as a float32 or int64 tensor.
    func input(_ c: [String: Any], _ key: String = "input") -> Tensor {
        c["dtype"] as? String == "int64" ? Tensor(ints(c[key]), shape: ints(c["shape"])) : tensor(c[key], ints(c["shape"]))
    }

    @Test func nonzeroListsPositionsInRowMajorOrder() {
        for case let c as [String: Any] in fixture["nonzero"] as! [Any] {
            let out = input(c).nonzero()
            #expect(out.dtype == .int64 && out.shape == ints(c["out_shape"]))
            #expect(out.toIntArray() == ints(c["out"]))
        }
        #expect(Tensor(Float(3)).nonzero().shape == [1, 0])
        #expect(Tensor.zeros([2, 3]).nonzero().shape == [0, 2])
    }

    @Test func maskedSelectPicksBroadcastMaskAndRoutesTheGradient() {
        for case let c as [String: Any] in fixture["masked_select"] as! [Any] {
            let x = tensor(c["x"], [3, 4], requiresGrad: true)
            let out = x.maskedSelect(Tensor(ints(c["mask"]), shape: ints(c["mask_shape"])))
            expectClose(out.toArray(), floats(c["out"]), "mask \(ints(c["mask_shape"]))")
            (out * tensor(c["upstream"], out.shape)).sum().backward()
            expectClose(x.grad!.toArray(), floats(c["grad"]), "mask \(ints(c["mask_shape"])) grad")
        }
    }

    @Test func uniqueSortsCountsAndInvertsWithEachNaNDistinct() {
        for case let c as [String: Any] in fixture["unique"] as! [Any] {
            let (values, inverse, counts) = input(c).unique()
            if c["dtype"] as? String == "int64" {
                #expect(values.toIntArray() == ints(c["values"]))
            } else {
                expectClose(values.toArray(), floats(c["values"]), "values")
            }
            #expect(inverse.shape == ints(c["shape"]) && inverse.toIntArray() == ints(c["inverse"]))
            #expect(counts.toIntArray() == ints(c["counts"]))
        }
    }

    @Test func bincountCountsAndSumsWeights() {
        let c = object(fixture["bincount"])
        let values = Tensor(ints(c["input"]))
        #expect(values.bincount().toIntArray() == ints(c["counts"]))
        #expect(values.bincount(minlength: c["minlength"] as! Int).toIntArray() == ints(c["counts_min"]))
        expectClose(values.bincount(weights: tensor(c["weights"], [6])).toArray(), floats(c["weighted"]), "weighted")
    }

    /// The lower median and its position along a dim (odd and even sizes, a NaN), its gradient, the
    /// median of all elements and of int64 rows.
    @Test func medianMatchesTorch() {
        for case let c as [String: Any] in fixture["median"] as! [Any] {
            let name = c["name"] as! String, dim = c["dim"] as! Int
            let x = tensor(c["x"], ints(c["shape"]), requiresGrad: true)
            let (values, indices) = x.median(dim: dim)
            expectClose(values.toArray(), floats(c["values"]), "\(name) values")
            #expect(indices.toIntArray() == ints(c["indices"]), "\(name) indices")
            (values.maskedFill(values.ne(values), 0) * tensor(c["upstream"], values.shape)).sum().backward()
            expectClose(x.grad!.toArray(), floats(c["grad"]), "\(name) grad")
            #expect(x.median(dim: dim, keepdim: true).values.shape == x.median(dim: dim).values.unsqueeze(dim).shape)
        }
        let all = object(fixture["median_all"])
        expectClose([tensor(all["x"], [3, 5]).median().item()], [Float(all["value"] as! Double)], "median of all")
        let i = object(fixture["median_int"])
        let (values, indices) = Tensor(ints(i["x"]), shape: [2, 2, 2]).median(dim: 2)
        #expect(values.toIntArray() == ints(i["values"]) && indices.toIntArray() == ints(i["indices"]))
    }

    /// A mask larger than the tensor broadcasts the tensor too (the gradient sums over the repeats);
    /// the median of nothing is NaN.
    @Test func maskedSelectBroadcastsBothAndEmptyMedianIsNaN() {
        let x = Tensor([1, 2, 3], requiresGrad: true)
        let out = x.maskedSelect(Tensor([1, 0, 1, 1, 1, 0], shape: [2, 3]))
        #expect(out.toArray() == [1, 3, 1, 2])
        out.sum().backward()
        #expect(x.grad!.toArray() == [2, 1, 1])
        #expect(Tensor.zeros([0]).median().item().isNaN)
    }

    /// gather on int64 values picks them exactly (the float kernels are not used for them).
    @Test func int64GatherPicksExactValues() {
        let big = 1 << 40
        let x = Tensor([big + 1, 7, -3, big + 5, 2, 9], shape: [2, 3])
        let picked = x.gather(dim: 1, indices: Tensor([2, 0, 1, 1], shape: [2, 2]))
        #expect(picked.dtype == .int64 && picked.toIntArray() == [-3, big + 1, 2, 2])
        #expect(x.gather(dim: 0, indices: Tensor([1, 0, 1], shape: [1, 3])).toIntArray() == [big + 5, 7, 9])
    }

    /// Of several equal medians PyTorch leaves the position open; Ember's points at one of them.
    @Test func tiedMedianPointsAtAnEqualValue() {
        let x = Tensor([0.25, 3, 0.25, -1, 0.25], shape: [1, 5])
        let (values, indices) = x.median(dim: 1)
        #expect(values.item() == 0.25)
        #expect(x.toArray()[indices.toIntArray()[0]] == 0.25)
    }

    @Test func badInputsStopNamingTheProblem() async {
        let negative = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor([1, -2]).bincount()
        }
        #expect(stderr(negative).contains("bincount: values must be non-negative, got -2"))
        let mask = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([3, 4]).maskedSelect(Tensor.zeros([2]))
        }
        #expect(stderr(mask).contains("maskedSelect: mask of shape [2] does not broadcast with the tensor's shape [3, 4]"))
        let scalar = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor(Float(5)).unflatten(dim: 0, sizes: [1])
        }
        #expect(stderr(scalar).contains("unflatten: needs a tensor with at least one dim and at least one size, got shape []"))
    }
}
