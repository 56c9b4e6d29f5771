import Glibc

/// Runs `first` on this thread and `second` on a new one, and returns when
/// both are done; both in turn here if no thread can be made.
///
/// For the two halves of a big symbol table's first pass (finding the
/// names and their groups: `SymbolMapText.parse`, `ElfSymbolTable.index`,
/// `KallsymsNameHasher.groups`; issue 16). The two must share nothing they
/// write.
func runSideBySide(_ first: () -> Void, _ second: () -> Void) {
    withoutActuallyEscaping(second) { second in
        let box = ThreadBody(second)
        let context = Unmanaged.passRetained(box).toOpaque()
        var thread = pthread_t()
        guard pthread_create(&thread, nil, { context in
            guard let context else { return nil }
            Unmanaged<ThreadBody>.fromOpaque(context).takeRetainedValue().body()
            return nil
        }, context) == 0 else {
            Unmanaged<ThreadBody>.fromOpaque(context).release()
            first()
            second()
            return
        }
        first()
        pthread_join(thread, nil)
    }
}

private final class ThreadBody: @unchecked Sendable {
    let body: () -> Void
    init(_ body: @escaping () -> Void) { self.body = body }
}
