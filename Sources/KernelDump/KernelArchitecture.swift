import CElfUtils

/// The architectures kptdump reads, named by the dump's ELF machine.
public enum KernelArchitecture: String, Sendable {
    case x86_64
    case arm64
    case riscv64

    public init?(machine: UInt16) {
        switch Int32(machine) {
        case EM_X86_64: self = .x86_64
        case EM_AARCH64: self = .arm64
        case EM_RISCV: self = .riscv64
        default: return nil
        }
    }
}
