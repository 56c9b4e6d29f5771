/// Every architecture kptdump reads, one line each (see `KernelArchitecture`
/// for the checklist of adding one). Order matters only to the fuzz targets,
/// whose inputs pick a paging form by its index over all architectures.
public let kernelArchitectures: [any KernelArchitecture] = [
    X86_64Architecture(),
    Arm64Architecture(),
    Riscv64Architecture(),
    Ppc64Architecture(),
    S390xArchitecture(),
]
