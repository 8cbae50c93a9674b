namespace UNetPP.Cluster.Processes;

/// <summary>
/// A silo's memory as the kernel counts it: resident now and at its peak, and of the resident part what is
/// anonymous (heaps, the JIT's code, thread stacks) and what is pages of mapped files (the runtime's and the
/// native libraries' code, paged in as it first runs); with its threads, in bytes.
/// </summary>
public sealed record SiloMemory(long Resident, long Peak, long Anonymous, long FileBacked, int Threads);
