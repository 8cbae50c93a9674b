namespace UNetPP.Cluster.Integration.Tests;

/// <summary>A failed cluster test, its message carrying the end of every silo's log.</summary>
public sealed class ClusterTestException : Exception
{
    public ClusterTestException()
    {
    }

    public ClusterTestException(string message)
        : base(message)
    {
    }

    public ClusterTestException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
