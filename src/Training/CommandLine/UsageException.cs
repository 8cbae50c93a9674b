namespace UNetPP.Cluster.Training.CommandLine;

/// <summary>A mistake in what the user asked for; its message says which option and why.</summary>
internal sealed class UsageException(string message) : Exception(message);
