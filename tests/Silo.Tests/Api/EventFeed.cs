using System.Net;
using System.Text;
using System.Text.Json;
using UNetPP.Cluster.Contracts;

namespace UNetPP.Cluster.Silo.Tests.Api;

/// <summary>One block of a Server-Sent Events stream, up to its blank line: an event, a retry, or a comment.</summary>
public sealed record ServerEvent(string? Event, string? Id, string? Data, string? Retry, string? Comment)
{
    public JobView Status => JsonSerializer.Deserialize<JobView>(Data!, JsonSerializerOptions.Web)!;

    public ImageFailure Failure => JsonSerializer.Deserialize<ImageFailure>(Data!, JsonSerializerOptions.Web)!;
}

/// <summary>
/// <c>GET /v1/jobs/{id}/events</c> read as a browser's EventSource reads it, block by block; disposing
/// drops the connection. Every read gives up after two minutes, so a stream that never ends fails the test.
/// </summary>
public sealed class EventFeed : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);

    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;

    private EventFeed(HttpResponseMessage response, StreamReader reader)
    {
        _response = response;
        _reader = reader;
    }

    public HttpResponseMessage Response => _response;

    public static async Task<EventFeed> OpenAsync(HttpClient http, string jobId, string? lastEventId = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"/v1/jobs/{jobId}/events", UriKind.Relative));
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }

        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            Assert.Fail($"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        return new EventFeed(response, new StreamReader(await response.Content.ReadAsStreamAsync(), Encoding.UTF8));
    }

    /// <summary>The next block; null when the server has closed the stream.</summary>
    public async Task<ServerEvent?> NextAsync()
    {
        using var patience = new CancellationTokenSource(Patience);
        string? name = null, id = null, data = null, retry = null, comment = null;
        var any = false;
        while (await _reader.ReadLineAsync(patience.Token) is { } line)
        {
            if (line.Length == 0)
            {
                if (any)
                {
                    return new ServerEvent(name, id, data, retry, comment);
                }

                continue;
            }

            any = true;
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? "" : line[(colon + 1)..].TrimStart(' ');
            switch (field)
            {
                case "":
                    comment = value;
                    break;
                case "event":
                    name = value;
                    break;
                case "id":
                    id = value;
                    break;
                case "data":
                    data = data is null ? value : $"{data}\n{value}";
                    break;
                case "retry":
                    retry = value;
                    break;
            }
        }

        return any ? new ServerEvent(name, id, data, retry, comment) : null;
    }

    /// <summary>Blocks up to and including the first that <paramref name="wanted"/> holds for; fails if the stream ends first.</summary>
    public async Task<IReadOnlyList<ServerEvent>> ReadUntilAsync(Func<ServerEvent, bool> wanted)
    {
        var read = new List<ServerEvent>();
        while (await NextAsync() is { } next)
        {
            read.Add(next);
            if (wanted(next))
            {
                return read;
            }
        }

        Assert.Fail($"The stream ended before the event wanted; it sent {read.Count} block(s): {string.Join(" | ", read.Select(e => $"{e.Event}#{e.Id}"))}");
        return read;
    }

    public ValueTask DisposeAsync()
    {
        _reader.Dispose();
        _response.Dispose();
        return ValueTask.CompletedTask;
    }
}
