import PageTables

/// One row of powerpc's ptdump `flag_info` table (arch/powerpc/mm/ptdump/ptdump.h).
public struct Ppc64Flag: Sendable, Equatable {
    public var mask: UInt64
    public var value: UInt64
    public var set: String?
    public var clear: String?
    /// A field printed as `set:%llx` with `(pte & value) >> shift` (hash 4K's `f_gix`).
    public var isValue: Bool
    public var shift: Int

    public init(mask: UInt64, value: UInt64, set: String?, clear: String? = nil, isValue: Bool = false, shift: Int = 0) {
        self.mask = mask
        self.value = value
        self.set = set
        self.clear = clear
        self.isValue = isValue
        self.shift = shift
    }

    /// `dump_flag_info()`'s text for this row, without the two leading spaces;
    /// nil when it prints nothing.
    func text(for flags: UInt64) -> String? {
        guard mask != 0 else { return nil }
        if isValue {
            let v = (flags & value) >> UInt64(shift)
            return "\(set ?? ""):\(String(v, radix: 16))"
        }
        return flags & mask == value ? set : clear
    }
}

/// How powerpc's ptdump prints (arch/powerpc/mm/ptdump/ptdump.c, 6.12):
/// `0x%016lx-0x%016lx ` with an inclusive end, ` 0x%016lx ` with the first
/// entry's `pte_val & PTE_RPN_MASK`, the size as `%9lu%c ` over units
/// ` KMGTPE`, then, where the kernel's `pg_level[]` has names (a later
/// release's `struct pgtable_level` gained `char name[4]`, printed as `%s `
/// after the size), the level's name, then each flag row's word after two
/// spaces (blanks for most clear flags). Ranges with no flags (holes) are not
/// printed.
public struct Ppc64ListingFormat: ListingFormat {
    /// `pg_level[level].flag`, PGD first.
    public var flags: [[Ppc64Flag]]
    public var rpnMask: UInt64
    /// `pg_level[level].name`, PGD first; nil for kernels whose ptdump prints none.
    public var levelNames: [String]?

    public init(flags: [[Ppc64Flag]], rpnMask: UInt64, levelNames: [String]? = nil) {
        self.flags = flags
        self.rpnMask = rpnMask
        self.levelNames = levelNames
    }

    static let sizeUnits: [UInt8] = Array(" KMGTPE".utf8)

    public func makeFormatter(physicalColumn: Bool) -> any ListingFormatter { Formatter(format: self) }

    public func words(_ range: MappedRange) -> [String] {
        guard range.protection != 0 else { return [] }
        return flags[range.level.rawValue].compactMap { $0.text(for: range.protection) }
            .flatMap { $0.split(separator: " ").map(String.init) }
    }

    struct Formatter: LineFormatter {
        let format: Ppc64ListingFormat

        /// Holes (no flags) are not printed.
        func prints(_ range: MappedRange) -> Bool { range.problem != nil || range.protection != 0 }

        func parsed(_ range: MappedRange) -> ListingLine {
            ListingLine(range, levelName: range.level.name, attributes: format.words(range),
                        physical: range.firstEntry & format.rpnMask)
        }

        func appendLine(_ range: MappedRange, to out: inout ASCIILine) {
            out.hex16(range.start)
            out.append("-")
            out.hex16(range.end &- 1)
            out.append("  ")
            out.hex16(range.firstEntry & format.rpnMask)
            out.append(" ")
            // pt_dump_size(): bytes, divided by 1024 while whole, units " KMGTPE".
            PtdumpSize.append(scaled: range.size, units: Ppc64ListingFormat.sizeUnits, to: &out)
            out.append(" ")
            if let names = format.levelNames {
                out.append(text: names[range.level.rawValue])
                out.append(" ")
            }
            if let problem = range.problem {
                out.append("  ")
                out.append(text: problem.tag)
            } else {
                for flag in format.flags[range.level.rawValue] {
                    guard let text = flag.text(for: range.protection) else { continue }
                    out.append("  ")
                    out.append(text: text)
                }
            }
            out.append("\n")
        }
    }
}

extension Ppc64ListingFormat {
    /// arch/powerpc/mm/ptdump/book3s64.c's `flag_array[]` (Linux 6.12), for a
    /// kernel whose own table cannot be read; the hash rows differ between
    /// 64K pages (combo, 4K_pfn) and 4K pages (f_gix, f_second).
    public static func builtInFlags(pageShift: Int) -> [Ppc64Flag] {
        typealias P = Ppc64Paging
        var rows = [
            Ppc64Flag(mask: P.privileged, value: 0, set: "user", clear: "    "),
            Ppc64Flag(mask: P.read, value: P.read, set: "r", clear: " "),
            Ppc64Flag(mask: P.write, value: P.write, set: "w", clear: " "),
            Ppc64Flag(mask: P.exec, value: P.exec, set: " X ", clear: "   "),
            Ppc64Flag(mask: P.pte, value: P.pte, set: "pte", clear: "   "),
            Ppc64Flag(mask: P.present, value: P.present, set: "valid", clear: "     "),
            Ppc64Flag(mask: P.present | P.invalid, value: 0, set: "       ", clear: "present"),
        ]
        // H_PAGE_HASHPTE: _RPAGE_RPN43 with 64K pages, _RPAGE_PKEY_BIT4 with 4K.
        let hashPTE: UInt64 = pageShift == 16 ? 0x0080_0000_0000_0000 : 0x1000_0000_0000_0000
        rows.append(Ppc64Flag(mask: hashPTE, value: hashPTE, set: "hpte", clear: "    "))
        rows += [
            Ppc64Flag(mask: P.dirty, value: P.dirty, set: "dirty", clear: "     "),
            Ppc64Flag(mask: P.accessed, value: P.accessed, set: "accessed", clear: "        "),
            Ppc64Flag(mask: P.nonIdempotent, value: P.nonIdempotent, set: "non-idempotent", clear: "              "),
            Ppc64Flag(mask: P.tolerant, value: P.tolerant, set: "tolerant", clear: "        "),
            Ppc64Flag(mask: 0x40, value: 0x40, set: "busy"),   // H_PAGE_BUSY, _RPAGE_RSV1
        ]
        if pageShift == 16 {
            rows.append(Ppc64Flag(mask: 0x1000, value: 0x1000, set: "combo"))    // H_PAGE_COMBO, _RPAGE_RPN0
            rows.append(Ppc64Flag(mask: 0x2000, value: 0x2000, set: "4K_pfn"))   // H_PAGE_4K_PFN, _RPAGE_RPN1
        } else {
            // H_PAGE_F_GIX: _RPAGE_RPN43|42|41, shifted by _PAGE_PA_MAX (53).
            rows.append(Ppc64Flag(mask: 0x00e0_0000_0000_0000, value: 0x00e0_0000_0000_0000, set: "f_gix",
                                  isValue: true, shift: 53))
            rows.append(Ppc64Flag(mask: 0x0100_0000_0000_0000, value: 0x0100_0000_0000_0000, set: "f_second"))
        }
        rows.append(Ppc64Flag(mask: P.special, value: P.special, set: "special"))
        return rows
    }
}
