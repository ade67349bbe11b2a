import Foundation
import Testing
@testable import Ember

/// A nested JSON object of a fixture.
func object(_ value: Any?) -> [String: Any] { value as? [String: Any] ?? [:] }

/// A float32 tensor from fixture values.
func tensor(_ value: Any?, _ shape: [Int], requiresGrad: Bool = false) -> Tensor {
    Tensor(floats(value), shape: shape, requiresGrad: requiresGrad)
}

/// Loads a fixture's parameters ([[name, shape, values], ...] in PyTorch's state-dict order) into
/// `module`, checking that its state-dict keys are PyTorch's, in the same order.
func loadParameters(_ module: Module, _ params: Any?, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let entries = params as? [[Any]] ?? []
    var dict: [String: Tensor] = [:]
    for entry in entries { dict[entry[0] as! String] = tensor(entry[2], ints(entry[1])) }
    #expect(module.stateDictKeys == entries.map { $0[0] as! String }, sourceLocation: sourceLocation)
    _ = try module.loadStateDict(dict)
}

/// Expects every parameter's gradient to match the fixture's ([[name, values], ...]).
func expectParameterGrads(_ module: Module, _ grads: Any?, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let parameters = Dictionary(uniqueKeysWithValues: module.namedParameters())
    let entries = grads as? [[Any]] ?? []
    #expect(!entries.isEmpty, "\(what): no gradients in the fixture", sourceLocation: sourceLocation)
    for entry in entries {
        let name = entry[0] as! String
        expectClose(parameters[name]?.grad?.toArray() ?? [], floats(entry[1]), "\(what) grad \(name)",
                    sourceLocation: sourceLocation)
    }
}

/// Integer values of a fixture array (flattened).
func ints(_ value: Any?) -> [Int] { floats(value).map { Int($0) } }
