using System.Net.Sockets;
using Azure;

namespace UNetPP.Cluster.Storage.Tests;

/// <summary>Waiting is right for a store that does not answer, and wrong for one that answered no.</summary>
public sealed class StorageFaultsTests
{
    public static TheoryData<Exception, bool> Failures => new()
    {
        { new RequestFailedException(0, "connection refused"), true },
        { new RequestFailedException(503, "server busy"), true },
        { new RequestFailedException(429, "throttled"), true },
        { new AggregateException(new RequestFailedException(0, "refused"), new HttpRequestException("reset")), true },
        { new IOException("Reading 'a.png' failed: HTTP 500", new RequestFailedException(500, "internal")), true },
        { new IOException("Reading a.png failed", new AggregateException(new SocketException(111))), true },
        { new TimeoutException(), true },
        { new RequestFailedException(404, "missing"), false },
        { new RequestFailedException(403, "refused"), false },
        { new AggregateException(new RequestFailedException(0, "refused"), new RequestFailedException(404, "missing")), false },
        { new UnauthorizedAccessException("the SAS does not allow it", new RequestFailedException(503, "x")), false },
        { new StorageObjectNotFoundException("a.png", "az://c/p", new RequestFailedException(404, "missing")), false },
        { new IOException("disk full"), false },
        { new InvalidDataException("a damaged part"), false },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public void OnlyAStoreThatDidNotAnswerIsWorthWaitingFor(Exception failure, bool unavailable) =>
        Assert.Equal(unavailable, StorageFaults.IsUnavailable(failure));
}
