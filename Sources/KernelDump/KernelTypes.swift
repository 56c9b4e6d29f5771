import PageTables

/// Where structure layouts come from: the vmlinux's DWARF when one was given
/// or found, else the kernel's own BTF (in the dump between `__start_BTF` and
/// `__stop_BTF`, or live in /sys/kernel/btf/vmlinux). DWARF stays preferred;
/// both are the compiler's own layout, so they agree (tested on the fixtures
/// that have both).
extension KernelSession {
    /// The largest BTF blob read: Debian's 6.1 has 5 MB.
    static let maximumBTFBytes: UInt64 = 64 << 20

    /// Byte offsets of `wanted` members (`"struct.member"` keys) from the
    /// vmlinux's DWARF, and that source's name; nil without a vmlinux or when
    /// its DWARF lacks every struct.
    func dwarfOffsets(_ wanted: [String: [String]]) -> (offsets: [String: UInt64], source: String)? {
        guard let elf = vmlinuxFile, let offsets = try? elf.memberOffsets(wanted), !offsets.isEmpty else { return nil }
        return (offsets, "DWARF of \(elf.path)")
    }

    /// The same from the kernel's own BTF.
    func btfOffsets(_ wanted: [String: [String]]) -> (offsets: [String: UInt64], source: String)? {
        guard let btf = kernelBTF() else { return nil }
        let offsets = btf.types.memberOffsets(wanted)
        return offsets.isEmpty ? nil : (offsets, btf.source)
    }

    /// The kernel's BTF, read once; nil (with the reason in `btfProblem`) when
    /// the kernel has none or it cannot be read.
    func kernelBTF() -> (types: BTFTypes, source: String)? {
        btfOnce.get { readBTF() }.found
    }

    private func readBTF() -> (found: (types: BTFTypes, source: String)?, problem: String?) {
        do {
            if isLive {
                let bytes = try FileBytes.readWhole("/sys/kernel/btf/vmlinux", limit: Int(Self.maximumBTFBytes))
                return ((try BTFTypes(bytes), "BTF (/sys/kernel/btf/vmlinux)"), nil)
            }
            guard let start = symbols["__start_BTF"], let stop = symbols["__stop_BTF"] else {
                return (nil, symbols.hasFullTable
                    ? "no __start_BTF/__stop_BTF symbols (a kernel without CONFIG_DEBUG_INFO_BTF)"
                    : "no symbol table gives __start_BTF/__stop_BTF (\(kallsymsProblem ?? "VMCOREINFO names no kallsyms"))")
            }
            guard stop > start, stop - start <= Self.maximumBTFBytes else {
                return (nil, "__start_BTF..__stop_BTF spans \(stop &- start) bytes")
            }
            let bytes = try readKernelImage(start, count: Int(stop - start), name: "__start_BTF")
            return ((try BTFTypes(bytes), "BTF in the dump (\(stop - start) bytes at \(hex(start)))"), nil)
        } catch let error as DumpError {
            return (nil, error.description)
        } catch {
            return (nil, "\(error)")
        }
    }
}
