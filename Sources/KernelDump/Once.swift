/// An answer computed the first time it is asked for and kept: a session's
/// readers (tasks, swap types, BTF, crash facts) each own one, so that reading
/// them on demand stores nothing into the session itself.
final class Once<Value> {
    private var value: Value?

    /// The answer, computed by `make` on the first call only.
    func get(_ make: () -> Value) -> Value {
        if let value { return value }
        let made = make()
        value = made
        return made
    }

    /// The answer if it was asked for already; nil before.
    var computed: Value? { value }
}
