import HTTPTypes

/// A request the server cannot answer, with the HTTP status and a message that names the problem
/// and the fix; it goes back to the client as `{"error": message}`.
public struct ServeError: Error, Equatable, CustomStringConvertible {
    public let status: HTTPResponse.Status
    public let message: String

    public init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = message
    }

    public var description: String { "\(status.code) \(status.reasonPhrase): \(message)" }
}
