namespace UNetPP.Cluster.Cli;

/// <summary>A mistake in what the user asked for; its message says which option or file and why.</summary>
public sealed class UsageException(string message) : Exception(message);
