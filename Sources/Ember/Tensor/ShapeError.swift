/// A shape problem found before an op runs. Ops stop with its message (a programmer error, like
/// PyTorch's RuntimeError); the throwing shape helpers let tests and callers check the message.
public struct ShapeError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Stops with the message of a shape error: shape errors in tensor math are programmer errors.
@inline(never)
func shapeFailure(_ error: ShapeError, file: StaticString = #file, line: UInt = #line) -> Never {
    fatalError("Ember: \(error.message)", file: file, line: line)
}

@inline(__always)
func checkShape<T>(_ body: () throws(ShapeError) -> T) -> T {
    do { return try body() } catch { shapeFailure(error) }
}
