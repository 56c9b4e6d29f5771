import KernelDump
import PageTables
import TestSupport

/// The inputs kptdump takes from the outside world, each as one function of
/// bytes that must return, whatever the bytes, without crashing or hanging.
///
/// libFuzzer drives them through `kptdump-fuzz` (built with
/// `-sanitize=fuzzer`; see Resources/fuzz/run.sh). The tests replay the
/// committed seeds and a fixed set of their mutations through the same
/// functions, so CI runs them without libFuzzer.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// An ELF core (kdump vmcore, QEMU dump, snapshot): opened, then listed.
    case elfCore = "elf-core"
    /// A kdump-compressed file: opened, then listed.
    case kdump
    /// VMCOREINFO text, as the note carries it.
    case vmcoreinfo
    /// ptdump text as diff reads it (the kernel's file or ours), and our JSON Lines.
    case listingText = "listing-text"
    /// Raw table pages for each paging form, walked, listed and translated.
    case walker

    /// Runs one input.
    public func run(_ data: [UInt8]) {
        switch self {
        case .elfCore, .kdump: Self.dump(data)
        case .vmcoreinfo: Self.vmcoreinfo(data)
        case .listingText: Self.listingText(data)
        case .walker: Self.walker(data)
        }
    }

    // MARK: dump files

    /// Where dump inputs are written: the readers take paths. /dev/shm keeps it in memory.
    nonisolated(unsafe) private static var scratchPath: String = {
        let dir = FileSystem.isWritableDirectory("/dev/shm") ? "/dev/shm" : "/tmp"
        return "\(dir)/kptdump-fuzz-\(FileSystem.processID).core"
    }()

    static func dump(_ data: [UInt8]) {
        let path = scratchPath
        guard (try? OutputFile(path: path, mode: 0o600).write(data)) != nil else { return }
        var request = DumpRequest(core: path)
        request.searchDebugFiles = false
        var options = ListingOptions()
        options.maxTableVisits = 256
        guard let (session, layout) = try? Actions.open(request) else { return }
        for table in TableChoice.allCases {
            _ = try? Actions.listing(session, layout, table: table, cpu: 0, options: options,
                                     write: { _ in }, diagnostic: { _ in })
        }
    }

    // MARK: text

    static func vmcoreinfo(_ data: [UInt8]) {
        let info = VmcoreInfo(text: String(decoding: data, as: UTF8.self))
        for key in ["pgtable_l5_enabled", "phys_base", "KERNEL_IMAGE_SIZE", "VA_BITS", "PAGE_SHIFT"] {
            _ = info.number(key)
        }
        _ = info.offset("task_struct.tasks")
        _ = SymbolTable.vmcoreinfo(info, source: "fuzz")
    }

    static func listingText(_ data: [UInt8]) {
        let text = String(decoding: data, as: UTF8.self)
        if let listing = try? ParsedListing(text: text) {
            let diff = ListingDiff(listing, listing)
            _ = diff.report(labelA: "a", labelB: "b", a: listing, b: listing, details: true)
        }
        if let listing = try? ListingJSON.parse(text) {
            _ = ListingDiff(listing, listing)
        }
    }

    // MARK: tables

    /// Byte 0 picks the paging form, byte 1 bit 0 folds every entry's address
    /// into the stored pages (so tables point at each other, at themselves and
    /// just past the end); the rest are table pages at physical 0, 1 page, ...
    static func walker(_ data: [UInt8]) {
        guard data.count >= 2 else { return }
        let form = paging(data[0])
        let architecture = form.paging
        let g = architecture.geometry
        let pageSize = Int(g.pageSize)
        let body = Array(data[2...])
        let pageCount = min(16, (body.count + pageSize - 1) / pageSize)
        guard pageCount > 0 else { return }
        let memory = SparseMemory(pageSize: g.pageSize)
        for p in 0..<pageCount {
            var page = Array(body[(p * pageSize)..<min(body.count, (p + 1) * pageSize)])
            page += [UInt8](repeating: 0, count: pageSize - page.count)
            if data[1] & 1 != 0 { fold(&page, into: pageCount, form: form) }
            memory.writeBytes(UInt64(p * pageSize), page)
        }
        // Markers also inside spans of upper entries, where runs of empty
        // entries noted at once must still end their range.
        let markers = MarkerTable([AddressMarker(start: 0, name: "Low"), AddressMarker(start: 0x1234_5678_9000, name: "Mid"),
                                   AddressMarker(start: 1 << 63, name: "High"),
                                   AddressMarker(start: 0xffff_f123_4567_8000, name: "Top")])
        var formatter = form.format.makeFormatter(physicalColumn: false)
        var summary = ListingSummary(geometry: g)
        var lines = 0
        let merger = RangeMerger(architecture: architecture, markers: markers, markerAdvance: .untilCurrent) { event in
            lines += formatter.format(event).isEmpty ? 0 : 1
            if case .range(let r) = event {
                let access = architecture.access(protection: r.protection, effective: r.effective)
                summary.add(r, region: markers[r.markerIndex].name, access: access,
                            isWX: architecture.isWritableAndExecutable(protection: r.protection, effective: r.effective))
            }
        }
        let walker = PageWalker(architecture: architecture, memory: memory)
        walker.maxTotalVisits = 64
        // The lower and upper halves the table can address, as the layouts pass them
        // (a range wider than the table's reach would wrap its top-level index).
        let top = g[.pgd]
        var vaBits = top.shift
        while (1 << (vaBits - top.shift)) < top.entries { vaBits += 1 }
        let half: UInt64 = vaBits >= 64 ? 1 << 63 : 1 << UInt64(vaBits - 1)
        let ranges = [WalkRange(0, half), WalkRange(0 &- half, .max)]
        walker.walk(root: PhysicalAddress(0), ranges: ranges, into: merger)
        _ = summary.text
        // Empty entries noted at once or one by one: the same events.
        var events: [[ListingEvent]] = [[], []]
        for (i, batched) in [false, true].enumerated() {
            let observer = RangeMerger(architecture: architecture, markers: markers, markerAdvance: .untilCurrent) {
                events[i].append($0)
            }
            let again = PageWalker(architecture: architecture, memory: memory)
            again.maxTotalVisits = 64
            again.batchesEmptyRuns = batched
            again.walk(root: PhysicalAddress(0), ranges: ranges, into: observer)
        }
        if events[0] != events[1] { fatalError("walker: empty entries noted at once gave other events") }
        // Translate a few addresses taken from the input itself.
        for i in stride(from: 0, to: min(body.count, 64), by: 8) {
            let address = decodeInteger(body, at: i, size: 8, order: .little) ?? 0
            _ = AddressTranslation(address, root: PhysicalAddress(0), architecture: architecture, memory: memory)
        }
    }

    /// Every paging form we list, by the input's first byte.
    static let pagingForms = kernelArchitectures.flatMap(\.fuzzPagingForms)

    static func paging(_ selector: UInt8) -> FuzzPagingForm {
        pagingForms[Int(selector) % pagingForms.count]
    }

    /// Rewrites each entry's output address to one of the stored pages (or one
    /// or two past them), keeping its other bits.
    static func fold(_ page: inout [UInt8], into pages: Int, form: FuzzPagingForm) {
        let g = form.paging.geometry
        for i in stride(from: 0, to: page.count - 7, by: 8) {
            guard var e = decodeInteger(page, at: i, size: 8, order: .little) else { continue }
            let target = (e >> 12) % UInt64(pages + 2)
            e = (e & ~(((1 << form.frameBits) - 1) << form.frameShift)) | (target * (g.pageSize >> 12)) << form.frameShift
            for b in 0..<8 { page[i + b] = UInt8(truncatingIfNeeded: e >> UInt64(8 * b)) }
        }
    }
}
