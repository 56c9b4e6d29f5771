import PageTables

/// Why a dump, a vmlinux or a symbol source cannot be used. Each case carries the
/// file and where in it the problem is; the CLI turns it into one message.
public enum DumpError: Error, Equatable, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    case notRoot(path: String)
    case lockedDown(path: String)
    case notElf(path: String)
    case notCore(path: String, type: UInt16)
    case unsupportedMachine(path: String, machine: UInt16)
    case elf(path: String, operation: String, message: String)
    case truncated(path: String, what: String, offset: UInt64, needed: UInt64, fileSize: UInt64)
    case noVmcoreinfo(path: String)
    case badVmcoreinfo(path: String, field: String, value: String)
    case missingSymbol(name: String, source: String)
    case vmlinuxMismatch(vmlinux: String, dump: String, field: String, vmlinuxValue: String, dumpValue: String)
    case unreadableVariable(name: String, address: UInt64, reason: String)
    case noCPUState(path: String, cpu: Int, available: Int)
    case noTable(name: String, reason: String)
    case io(path: String, offset: UInt64, reason: String)
    case badFormat(path: String, offset: UInt64, what: String, reason: String)
    case unknownFormat(path: String, magic: [UInt8])
    case unsupportedDump(path: String, reason: String)
    /// A request that names something this kernel does not have (a region, an address).
    case badRequest(String)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason):
            return "\(path): cannot open: \(reason)"
        case .notRoot(let path):
            return "\(path): permission denied; reading a live kernel's memory needs root (try sudo)"
        case .lockedDown(let path):
            return "\(path): the kernel refuses access (lockdown or CONFIG_STRICT_DEVMEM); check /sys/kernel/security/lockdown"
        case .notElf(let path):
            return "\(path): not an ELF file (bad magic at offset 0)"
        case .notCore(let path, let type):
            return "\(path): ELF file of type \(type), not a core dump (ET_CORE = 4)"
        case .unsupportedMachine(let path, let machine):
            return "\(path): ELF machine \(machine) is not supported; kptdump reads \(supportedMachinesText)"
        case .elf(let path, let operation, let message):
            return "\(path): \(operation) failed: \(message)"
        case .truncated(let path, let what, let offset, let needed, let fileSize):
            return "\(path): truncated: \(what) needs bytes \(hex(offset))..\(hex(offset &+ needed)) but the file has \(fileSize) bytes"
        case .noVmcoreinfo(let path):
            return "\(path): no VMCOREINFO note in the dump and no vmlinux given; pass --vmlinux or --system-map"
        case .badVmcoreinfo(let path, let field, let value):
            return "\(path): VMCOREINFO field \(field) has an unusable value '\(value)'"
        case .missingSymbol(let name, let source):
            return "symbol \(name) not found in \(source)"
        case .vmlinuxMismatch(let vmlinux, let dump, let field, let a, let b):
            return "\(vmlinux) does not match \(dump): \(field) is \(a) in vmlinux but \(b) in the dump"
        case .unreadableVariable(let name, let address, let reason):
            return "cannot read kernel variable \(name) at \(hex(address)): \(reason)"
        case .noCPUState(let path, let cpu, let available):
            return "\(path): no saved CR3 for CPU \(cpu) (the dump has \(available) CPU register note\(available == 1 ? "" : "s") with CR3)"
        case .noTable(let name, let reason):
            return "no \(name) page table: \(reason)"
        case .io(let path, let offset, let reason):
            return "\(path): read at offset \(hex(offset)) failed: \(reason)"
        case .badFormat(let path, let offset, let what, let reason):
            return "\(path): bad \(what) at offset \(hex(offset)): \(reason)"
        case .unknownFormat(let path, let magic):
            let shown = magic.map { String($0, radix: 16).leftPadded(2) }.joined(separator: " ")
            return "\(path): not a dump kptdump reads (ELF core, kdump-compressed \"KDUMP\", or flattened \"makedumpfile\"); it starts with \(shown.isEmpty ? "nothing (empty file)" : shown)"
        case .unsupportedDump(let path, let reason):
            return "\(path): \(reason)"
        case .badRequest(let reason):
            return reason
        }
    }
}
