/// Bounds that keep a hostile pickle from exhausting memory or the call stack. Each opcode is at
/// least one byte, so the input size already bounds the work; these bound the rest.
struct PickleLimits {
    /// Entries in the memo (BINPUT / MEMOIZE).
    var maxMemo = 1 << 20
    /// Values on the stack.
    var maxStack = 1 << 22
    /// Open MARKs at once.
    var maxMarks = 10_000
    /// Nesting of tuples inside tuples (destroying a deeply nested value recurses).
    var maxDepth = 500

    static let standard = PickleLimits()
}
