import Testing
@testable import Ember

@Suite("Parameters as a vector")
struct ParameterVectorTests {
    @Test func aModelsParametersRoundTripThroughOneVector() {
        let model = Sequential { Linear(3, 2); ReLU(); Linear(2, 1) }
        let parameters = model.parameters()
        let vector = parametersToVector(parameters)
        #expect(vector.shape == [11])
        #expect(vector.toArray() == parameters.flatMap { $0.toArray() })
        // Writing a new point back changes the parameters in place, in state-dict order.
        vectorToParameters(Tensor((0..<11).map(Float.init)), parameters)
        #expect(model.stateDict()["0.weight"]!.toArray() == [0, 1, 2, 3, 4, 5])
        #expect(model.stateDict()["0.bias"]!.toArray() == [6, 7])
        #expect(model.stateDict()["2.weight"]!.toArray() == [8, 9] && model.stateDict()["2.bias"]!.toArray() == [10])
        #expect(parameters.allSatisfy { $0.requiresGrad && $0.grad == nil })
    }

    @Test func gradientsReachEachParameterThroughTheVector() {
        let (a, b) = (Tensor([1, 2, 3, 4] as [Float], shape: [2, 2], requiresGrad: true), Tensor([5] as [Float], requiresGrad: true))
        let weights = Tensor([1, -1, 2, -2, 3] as [Float])
        (parametersToVector([a, b]).square() * weights).sum().backward()
        #expect(a.grad!.toArray() == [2, -4, 12, -16] && b.grad!.toArray() == [30])
    }

    @Test func aVectorOfTheWrongSizeStops() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            vectorToParameters(Tensor.zeros([5]), [Tensor.zeros([2, 3])])
        }
        #expect(stderr(r).contains("vectorToParameters: expects a 1-D vector of the parameters' 6 elements, got shape [5]"))
        let none = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = parametersToVector([])
        }
        #expect(stderr(none).contains("parametersToVector: needs at least one parameter, got none"))
    }
}
