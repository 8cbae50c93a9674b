using System.Net;
using System.Text.Json;
using UNetPP.Cluster.Processes;

namespace UNetPP.Cluster.Silo.Tests;

/// <summary>
/// <c>unetpp-silo</c> as an operator starts it, on a machine without CUDA (like CI): a CUDA device
/// named is that device or a startup error; <c>auto</c> settles on the CPU and says so.
/// </summary>
[Trait(TestTier.Category, TestTier.External)]
public sealed class SiloDeviceProcessTests : IDisposable
{
    private readonly string _logs = Directory.CreateTempSubdirectory("unetpp-silo-devices-").FullName;

    [Fact]
    public async Task ASiloToldToUseACudaDeviceThatCannotLoadExitsWithOneLineSayingWhatFailed()
    {
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => StartAsync("cuda:0"));

        Assert.Contains("exited with code 2 while starting", failure.Message, StringComparison.Ordinal);
        Assert.Matches(
            @"\nerror: Inference:Devices: cuda:0 cannot be used: ONNX Runtime's CUDA provider needs lib\w+\.so[\d.]* \([^)]+\), which is not installed \(or not on LD_LIBRARY_PATH\)\r?\n",
            failure.Message);
    }

    [Fact]
    public async Task ASiloOnAutoIsReadyAndItsReadyzNamesTheCpu()
    {
        await using var silo = await StartAsync("auto");
        using var http = new HttpClient();

        using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{silo.HttpPort}/readyz"));
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var devices = body.RootElement.GetProperty("checks").GetProperty("devices").GetProperty("description").GetString();
        Assert.StartsWith("cpu: ready: ", devices, StringComparison.Ordinal);
        Assert.EndsWith(" open on cpu", devices, StringComparison.Ordinal);
        Assert.Contains(silo.LogEvents(), e => e is { EventId: 6, Level: "Warning" } && e.Message.StartsWith("Inference device auto is cpu: cuda:0 cannot be used", StringComparison.Ordinal));
    }

    public void Dispose() => Directory.Delete(_logs, recursive: true);

    private Task<SiloProcess> StartAsync(string devices) =>
        SiloProcess.StartAsync("silo", $"unetpp-devices-{Guid.NewGuid():N}", storageConnection: "", _logs,
            new Dictionary<string, string> { ["Cluster__Clustering"] = "Localhost", ["Inference__Devices"] = devices }, core: null, CancellationToken.None);
}
