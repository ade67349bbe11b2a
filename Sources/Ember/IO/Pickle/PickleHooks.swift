/// What an unpickler asks its owner to decide: which globals exist, what calling one builds,
/// and what a persistent id refers to. The unpickler itself never runs code from a pickle;
/// anything callable goes through these, and the owner accepts only what it knows.
protocol PickleHooks: AnyObject {
    /// Resolves GLOBAL / STACK_GLOBAL. Throws `PickleError(.disallowedGlobal(...))` for names not on
    /// the allow-list.
    func global(module: String, name: String) throws -> PickleValue
    /// REDUCE (and NEWOBJ): `callable(*args)`, where `callable` came from `global`.
    func reduce(_ callable: PickleValue, _ args: [PickleValue]) throws -> PickleValue
    /// BUILD: applies `state` to `object` (`__setstate__`) and returns the result.
    func build(_ object: PickleValue, state: PickleValue) throws -> PickleValue
    /// BINPERSID / PERSID.
    func persistentLoad(_ pid: PickleValue) throws -> PickleValue
}
