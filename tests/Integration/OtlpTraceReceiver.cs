using System.Collections.Concurrent;
using System.Net;
using Google.Protobuf;

namespace UNetPP.Cluster.Integration.Tests;

/// <summary>One span as OTLP carries it: ids in hex, the parent's empty for a root.</summary>
public sealed record ReceivedSpan(string TraceId, string SpanId, string ParentSpanId, string Name, IReadOnlyDictionary<string, string> Attributes);

/// <summary>
/// An OTLP/HTTP trace endpoint on loopback (<c>POST /v1/traces</c>, protobuf). It reads the spans out
/// of each export by the field numbers of <c>opentelemetry/proto/trace/v1/trace.proto</c>: enough to
/// check which span hangs under which.
/// </summary>
public sealed class OtlpTraceReceiver : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ConcurrentBag<ReceivedSpan> _spans = [];
    private readonly Task _serving;

    public OtlpTraceReceiver(int port)
    {
        Endpoint = $"http://127.0.0.1:{port}";
        _listener.Prefixes.Add(Endpoint + "/");
        _listener.Start();
        _serving = Task.Run(ServeAsync);
    }

    public string Endpoint { get; }

    public IReadOnlyList<ReceivedSpan> Spans => [.. _spans];

    public int Exports { get; private set; }

    public void Dispose()
    {
        _listener.Close();
        _serving.Wait(TimeSpan.FromSeconds(5));
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            if (context.Request.Url?.AbsolutePath == "/v1/traces")
            {
                foreach (var span in ReadExport(body.ToArray()))
                {
                    _spans.Add(span);
                }

                Exports++;
            }

            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/x-protobuf";
            context.Response.Close();
        }
    }

    // ExportTraceServiceRequest.resource_spans = 1; ResourceSpans.scope_spans = 2; ScopeSpans.spans = 2.
    private static IEnumerable<ReceivedSpan> ReadExport(byte[] bytes) =>
        Fields(bytes, 1).SelectMany(resource => Fields(resource, 2)).SelectMany(scope => Fields(scope, 2)).Select(ReadSpan);

    // Span: trace_id = 1, span_id = 2, parent_span_id = 4, name = 5, attributes = 9 (KeyValue: key = 1, value = 2 (AnyValue: string = 1, int = 3)).
    private static ReceivedSpan ReadSpan(byte[] span)
    {
        string Hex(int field) => Fields(span, field).Select(Convert.ToHexStringLower).FirstOrDefault() ?? "";
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in Fields(span, 9))
        {
            var key = Fields(pair, 1).Select(k => System.Text.Encoding.UTF8.GetString(k)).FirstOrDefault();
            var value = Fields(pair, 2).FirstOrDefault();
            if (key is not null && value is not null)
            {
                attributes[key] = Fields(value, 1).Select(v => System.Text.Encoding.UTF8.GetString(v)).FirstOrDefault() ?? "";
            }
        }

        return new ReceivedSpan(Hex(1), Hex(2), Hex(4), System.Text.Encoding.UTF8.GetString(Fields(span, 5).FirstOrDefault() ?? []), attributes);
    }

    /// <summary>Every length-delimited field <paramref name="number"/> of one message; other fields are skipped.</summary>
    private static List<byte[]> Fields(byte[] message, int number)
    {
        var found = new List<byte[]>();
        var input = new CodedInputStream(message);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == number && WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
            {
                found.Add(input.ReadBytes().ToByteArray());
            }
            else
            {
                input.SkipLastField();
            }
        }

        return found;
    }
}
