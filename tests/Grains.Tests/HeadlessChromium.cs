using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using UNetPP.Cluster.Processes;

namespace UNetPP.Cluster.Grains.Tests;

/// <summary>
/// Debian's Chromium, headless, with one page driven over the DevTools protocol on a WebSocket:
/// navigate, evaluate script, take a screenshot. Every wait has a time limit, and disposing kills
/// the browser with all its processes and removes its profile, whatever state it is in.
/// </summary>
internal sealed partial class HeadlessChromium : IAsyncDisposable
{
    public const string Executable = "/usr/bin/chromium";

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly string _profile;
    private readonly ClientWebSocket _socket = new();
    private readonly CancellationTokenSource _closing = new();
    private readonly TaskCompletionSource<Uri> _endpoint = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentDictionary<int, TaskCompletionSource<JsonElement>> _replies = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource<JsonElement>> _events = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _log = new();
    private Task _receiving = Task.CompletedTask;
    private string? _session;
    private int _lastId;

    private HeadlessChromium(Process process, string profile)
    {
        _process = process;
        _profile = profile;
    }

    /// <summary>Starts the browser and opens a blank page.</summary>
    /// <exception cref="FileNotFoundException">Chromium is not installed.</exception>
    public static async Task<HeadlessChromium> StartAsync()
    {
        TestTier.StartingProcess("Chromium");
        if (!File.Exists(Executable))
        {
            throw new FileNotFoundException($"Chromium is not installed at {Executable}: run ./test.sh, which installs it, or `apt-get install chromium`.", Executable);
        }

        var profile = Directory.CreateTempSubdirectory("unetpp-chromium-").FullName;
        var start = new ProcessStartInfo(Executable) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in (string[])[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", $"--user-data-dir={profile}", "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0", "about:blank"])
        {
            start.ArgumentList.Add(argument);
        }

        var browser = new HeadlessChromium(new Process { StartInfo = start, EnableRaisingEvents = true }, profile);
        try
        {
            browser.Launch();
            await browser.ConnectAsync();
            await browser.OpenPageAsync();
            return browser;
        }
        catch
        {
            await browser.DisposeAsync();
            throw;
        }
    }

    /// <summary>Loads <paramref name="url"/> and returns once its load event has fired (every image decoded).</summary>
    public async Task NavigateAsync(Uri url)
    {
        var loaded = Next("Page.loadEventFired");
        var navigation = await SendAsync("Page.navigate", new { url = url.AbsoluteUri });
        if (navigation.TryGetProperty("errorText", out var error))
        {
            throw new InvalidOperationException($"{url} did not load: {error}");
        }

        await Within(loaded, $"the load event of {url}");
    }

    /// <summary>The value of a JavaScript expression in the page, as JSON.</summary>
    public async Task<JsonElement> EvaluateAsync(string expression)
    {
        var evaluation = await SendAsync("Runtime.evaluate", new { expression, returnByValue = true, awaitPromise = true });
        return evaluation.TryGetProperty("exceptionDetails", out var exception)
            ? throw new InvalidOperationException($"{expression} threw: {exception}")
            : evaluation.GetProperty("result").GetProperty("value");
    }

    /// <summary>The whole page, not only the window, as PNG.</summary>
    public async Task<byte[]> ScreenshotAsync()
    {
        var size = (await SendAsync("Page.getLayoutMetrics")).GetProperty("cssContentSize");
        var clip = new { x = 0, y = 0, width = size.GetProperty("width").GetDouble(), height = size.GetProperty("height").GetDouble(), scale = 1 };
        var shot = await SendAsync("Page.captureScreenshot", new { format = "png", captureBeyondViewport = true, clip });
        return Convert.FromBase64String(shot.GetProperty("data").GetString()!);
    }

    public async ValueTask DisposeAsync()
    {
        await _closing.CancelAsync();
        _socket.Abort();
        try
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or System.ComponentModel.Win32Exception)
        {
            // Never started, already gone, or stuck past the limit: nothing more to wait for.
        }

        try
        {
            await _receiving.WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException)
        {
            // The socket is aborted; a receive that still hangs holds nothing worth waiting for.
        }

        _socket.Dispose();
        _process.Dispose();
        _closing.Dispose();
        try
        {
            Directory.Delete(_profile, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A child that outlived the kill may still write there; a stray temp folder is harmless.
        }
    }

    private void Launch()
    {
        // Both pipes are drained for as long as the browser runs, or it would block writing to them.
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not { } line)
            {
                return;
            }

            _log.Enqueue(line);
            if (Listening().Match(line) is { Success: true } found)
            {
                _endpoint.TrySetResult(new Uri(found.Groups[1].Value));
            }
        };
        _process.OutputDataReceived += (_, e) => _log.Enqueue(e.Data ?? "");
        _process.Exited += (_, _) => _endpoint.TrySetException(new InvalidOperationException($"Chromium exited before listening:\n{Log()}"));
        _process.Start();
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
    }

    private async Task ConnectAsync()
    {
        var endpoint = await Within(_endpoint.Task, "the \"DevTools listening on\" line");
        using var limit = new CancellationTokenSource(Patience);
        await _socket.ConnectAsync(endpoint, limit.Token);
        _receiving = ReceiveAsync();
    }

    private async Task OpenPageAsync()
    {
        var target = await SendAsync("Target.createTarget", new { url = "about:blank" }, toPage: false);
        var attached = await SendAsync("Target.attachToTarget", new { targetId = target.GetProperty("targetId").GetString(), flatten = true }, toPage: false);
        _session = attached.GetProperty("sessionId").GetString();
        await SendAsync("Page.enable");
        await SendAsync("Emulation.setDeviceMetricsOverride", new { width = 1280, height = 900, deviceScaleFactor = 1, mobile = false });
    }

    private async Task<JsonElement> SendAsync(string method, object? parameters = null, bool toPage = true)
    {
        var id = Interlocked.Increment(ref _lastId);
        var reply = _replies[id] = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        var message = new Dictionary<string, object?> { ["id"] = id, ["method"] = method, ["params"] = parameters ?? new { } };
        if (toPage)
        {
            message["sessionId"] = _session;
        }

        using var limit = new CancellationTokenSource(Patience);
        await _socket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(message), WebSocketMessageType.Text, endOfMessage: true, limit.Token);
        var answer = await Within(reply.Task, method);
        return answer.TryGetProperty("error", out var error)
            ? throw new InvalidOperationException($"{method} failed: {error}")
            : answer.GetProperty("result");
    }

    /// <summary>The next event of this kind; ask before doing what causes it.</summary>
    private Task<JsonElement> Next(string method) =>
        _events.GetOrAdd(method, _ => new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    private async Task ReceiveAsync()
    {
        var buffer = new byte[1 << 16];
        using var message = new MemoryStream();
        try
        {
            while (true)
            {
                var part = await _socket.ReceiveAsync(buffer, _closing.Token);
                if (part.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                message.Write(buffer, 0, part.Count);
                if (!part.EndOfMessage)
                {
                    continue;
                }

                using var json = JsonDocument.Parse(message.ToArray());
                message.SetLength(0);
                var root = json.RootElement.Clone();
                if (root.TryGetProperty("id", out var id) && _replies.TryRemove(id.GetInt32(), out var reply))
                {
                    reply.TrySetResult(root);
                }
                else if (root.TryGetProperty("method", out var method) && _events.TryRemove(method.GetString()!, out var waiter))
                {
                    waiter.TrySetResult(root.GetProperty("params"));
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or JsonException)
        {
            // Closing, or the browser went away or garbled; whoever still waits learns it below.
        }
        finally
        {
            foreach (var waiting in _replies.Values.Concat(_events.Values))
            {
                waiting.TrySetException(new IOException($"Chromium closed the DevTools connection:\n{Log()}"));
            }
        }
    }

    private async Task<T> Within<T>(Task<T> task, string what)
    {
        try
        {
            return await task.WaitAsync(Patience);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"Chromium gave no {what} within {Patience.TotalSeconds} s:\n{Log()}", ex);
        }
    }

    /// <summary>The browser's last lines, for a failure's message.</summary>
    private string Log() => string.Join('\n', _log.TakeLast(40));

    [GeneratedRegex(@"DevTools listening on (ws://\S+)")]
    private static partial Regex Listening();
}
