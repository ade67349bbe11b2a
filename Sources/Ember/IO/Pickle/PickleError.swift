/// Why a pickle could not be read. `offset` is the byte position of the opcode that failed.
struct PickleError: Error, CustomStringConvertible {
    enum Kind: Equatable {
        /// The stream is truncated, inconsistent or exceeds a bound.
        case malformed
        /// A valid pickle feature that a state-dict loader does not accept (an unknown opcode, say).
        case unsupported
        /// A global (`module.name`) that is not on the allow-list.
        case disallowedGlobal(String)
    }

    let kind: Kind
    let message: String
    var offset: Int?

    init(_ kind: Kind, _ message: String, offset: Int? = nil) {
        self.kind = kind
        self.message = message
        self.offset = offset
    }

    static func malformed(_ message: String) -> PickleError { PickleError(.malformed, message) }
    static func unsupported(_ message: String) -> PickleError { PickleError(.unsupported, message) }

    var description: String {
        offset.map { "\(message) (pickle byte \($0))" } ?? message
    }
}
