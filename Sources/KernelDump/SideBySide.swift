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

/// Below this many symbols a second thread costs more than it saves.
let sideBySideFrom = 20_000

/// `part` over `whole`, or over each of `halves` side by side
/// (`runSideBySide`) when given; the results in table order.
func inParts<Part>(whole: Range<Int>, halves: (Range<Int>, Range<Int>)?, _ part: (Range<Int>) -> Part) -> [Part] {
    guard let (firstRange, secondRange) = halves else { return [part(whole)] }
    var first: Part?
    var second: Part?
    runSideBySide({ first = part(firstRange) }, { second = part(secondRange) })
    return [first, second].compactMap { $0 }
}

/// `0..<count` in two even halves, or nil below `sideBySideFrom`.
func evenHalves(_ count: Int) -> (Range<Int>, Range<Int>)? {
    count >= sideBySideFrom ? (0..<count / 2, count / 2..<count) : nil
}

private final class ThreadBody: @unchecked Sendable {
    let body: () -> Void
    init(_ body: @escaping () -> Void) { self.body = body }
}
