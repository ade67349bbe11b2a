import Testing
@testable import Ember

/// Shape helpers throw `ShapeError`s with their messages; ops stop with those messages (fatalError),
/// which the exit tests below check in a child process.
@Suite("Shape errors")
struct ShapeErrorTests {
    @Test func shapeArithmetic() throws {
        #expect(Shape.count([2, 3, 4]) == 24 && Shape.count([]) == 1 && Shape.count([3, 0]) == 0)
        #expect(Shape.contiguousStrides([2, 3, 4]) == [12, 4, 1])
        #expect(Shape.contiguousStrides([2, 0, 4]) == [4, 4, 1])
        #expect(try Shape.broadcast([2, 1, 4], [3, 1], op: "add") == [2, 3, 4])
        #expect(try Shape.broadcast([], [5], op: "add") == [5])
        #expect(try Shape.broadcast([0, 1], [1, 3], op: "add") == [0, 3])
        #expect(try Shape.normalize(dim: -1, rank: 3, op: "sum") == 2)
        #expect(try Shape.normalize(dim: 0, rank: 0, op: "sum") == 0)
        #expect(try Shape.infer([-1, 4], count: 12, from: [3, 4]) == [3, 4])
        #expect(try Shape.infer([2, -1, 2], count: 12, from: [12]) == [2, 3, 2])
    }

    @Test func broadcastMessage() {
        #expect(throws: ShapeError("add: shapes [2, 3] and [4] cannot be broadcast together "
            + "(dimension 1 is 3 vs 4; sizes must match or one must be 1)")) {
            try Shape.broadcast([2, 3], [4], op: "add")
        }
    }

    @Test func dimMessage() {
        #expect(throws: ShapeError("sum: dimension 2 is out of range for a tensor of rank 2 (expected a dim in -2...1)")) {
            try Shape.normalize(dim: 2, rank: 2, op: "sum")
        }
        #expect(throws: ShapeError.self) { try Shape.normalize(dim: -3, rank: 2, op: "sum") }
    }

    @Test func inferMessages() {
        #expect(throws: ShapeError("view: only one dimension can be -1, got [-1, -1]")) {
            try Shape.infer([-1, -1], count: 4, from: [4])
        }
        #expect(throws: ShapeError("view: shape [5, -1] is invalid for input of shape [3, 4] (12 elements)")) {
            try Shape.infer([5, -1], count: 12, from: [3, 4])
        }
        #expect(throws: ShapeError("view: shape [5, 2] is invalid for input of shape [3, 4] (12 elements)")) {
            try Shape.infer([5, 2], count: 12, from: [3, 4])
        }
    }

    // MARK: Ops that stop (exit tests run the body in a child process)

    @Test func broadcastingOpStops() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 3]) + Tensor.zeros([4])
        }
        #expect(stderr(r).contains("Ember: add: shapes [2, 3] and [4] cannot be broadcast together"))
    }

    @Test func matmulMismatchStops() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 3]).matmul(Tensor.zeros([4, 5]))
        }
        #expect(stderr(r).contains("matmul: shapes [2, 3] and [4, 5] cannot be multiplied (2x3 and 4x5)"))
    }

    @Test func viewOfTransposeStops() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 3]).t().view(6)
        }
        #expect(stderr(r).contains("view: the tensor of shape [3, 2] with strides [1, 3] is not contiguous"))
    }

    @Test func reshapeToWrongCountStops() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([3, 4]).reshape(5, -1)
        }
        #expect(stderr(r).contains("view: shape [5, -1] is invalid for input of shape [3, 4] (12 elements)"))
    }

    @Test func catMismatchStops() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.cat([Tensor.zeros([2, 3]), Tensor.zeros([2, 4])], dim: 0)
        }
        #expect(stderr(r).contains("cat: sizes of tensors must match except in dim 0; tensor 0 has shape [2, 3] but tensor 1 has shape [2, 4]"))
    }

    @Test func stackMismatchStops() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.stack([Tensor.zeros([2]), Tensor.zeros([3])])
        }
        #expect(stderr(r).contains("stack: expects each tensor to be equal size, but got [2] at entry 0 and [3] at entry 1"))
    }

    @Test func badDimStops() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 3]).softmax(dim: 2)
        }
        #expect(stderr(r).contains("softmax: dimension 2 is out of range for a tensor of rank 2"))
    }

    @Test func expandStops() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 3]).expand(4, 3)
        }
        #expect(stderr(r).contains("expand: the size of dim 0 (2) must match the target size 4 or be 1"))
    }

    @Test func gatherShapeStops() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 3]).gather(dim: 1, indices: Tensor([[0], [1], [2]]))
        }
        #expect(stderr(r).contains("gather: indices of shape [3, 1] do not match the input's shape [2, 3] outside dim 1"))
    }

    @Test func indexOutOfBoundsStops() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 3]).indexSelect(dim: 0, indices: Tensor([0, 2]))
        }
        #expect(stderr(r).contains("indexSelect: index 2 is out of bounds for a dimension of size 2"))
    }

    @Test func itemOfManyStops() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2]).item()
        }
        #expect(stderr(r).contains("item: a tensor with 2 elements (shape [2]) cannot be converted to a scalar"))
    }

    @Test func inPlaceBroadcastStops() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            Tensor.zeros([3]).add_(Tensor.zeros([2, 3]))
        }
        #expect(stderr(r).contains("add_: the source of shape [2, 3] cannot be broadcast to the target's shape [3]"))
    }
}

/// The child process's standard error as text.
func stderr(_ result: ExitTest.Result?) -> String {
    String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
}
