namespace UNetPP.Cluster.Client;

/// <summary>A mistake in what the user asked for; its message says which option or file and why.</summary>
internal sealed class UsageException(string message) : Exception(message);
