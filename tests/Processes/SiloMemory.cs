namespace UNetPP.Cluster.Processes;

/// <summary>
/// A silo's memory as the kernel counts it, in bytes: resident now and at its peak, and the resident part by
/// kind — anonymous (heaps, thread stacks), pages of mapped files (the runtime's and the native libraries'
/// code, paged in as it first runs) and shared memory (in a .NET process, the JIT's code, which the runtime
/// maps twice so that no page is writable and executable at once) — with its threads.
/// </summary>
public sealed record SiloMemory(long Resident, long Peak, long Anonymous, long FileBacked, long Shared, int Threads);
