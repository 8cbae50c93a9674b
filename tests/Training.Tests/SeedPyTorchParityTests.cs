using System.Diagnostics;
using System.Text;
using UNetPP.Cluster.Processes;
using UNetPP.Cluster.Segmentation.Model;
using static TorchSharp.torch;
using static UNetPP.Cluster.Training.Tests.TrainingTestKit;

namespace UNetPP.Cluster.Training.Tests;

/// <summary>
/// The seed's own PyTorch code (tools/parity/check.py, on Debian's python3-torch) checks the ONNX model the
/// project builds from a safetensors state dict: the heads the project's ONNX Runtime gives on an odd-sized
/// input must be the seed's within 1e-4.
/// </summary>
[Trait(TestTier.Category, TestTier.External)]
public sealed class SeedPyTorchParityTests : IDisposable
{
    private readonly string _folder = TempDirectory();

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task TheSeedsPyTorchModuleGivesTheHeadsOfTheOnnxModel(bool deepSupervision)
    {
        var options = Small(deepSupervision);
        var weights = Path.Combine(_folder, "weights.safetensors");
        using (var module = NestedUNet.FromWeights(NestedUNetWeights.CreateInitial(options, seed: 3)))
        {
            RandomizeBatchNorm(module, seed: 5);
            module.ToWeights().SaveSafetensors(weights);
        }

        var onnx = Path.Combine(_folder, "model.onnx");
        var model = NestedUNetBuilder.Build(options, NestedUNetWeights.LoadSafetensors(weights, options));
        ModelFile.Save(model, onnx);
        random.manual_seed(11);
        using var input = (rand(2, options.InChannels, 97, 131) * 4) - 2;
        var heads = NestedUNetBuilder.HeadNames(options.DeepSupervision);
        var outputs = Directory.CreateDirectory(Path.Combine(_folder, "heads")).FullName;
        WriteNpy(Path.Combine(outputs, "input.npy"), input.data<float>().ToArray(), input.shape);
        foreach (var (head, values) in heads.Zip(RunOnnx(model, input, heads)))
        {
            WriteNpy(Path.Combine(outputs, head + ".npy"), values, [2, options.Classes, 97, 131]);
        }

        var (code, output) = await RunCheckAsync(onnx, weights, "--outputs", outputs);

        Assert.True(code == 0, output);
        Assert.Equal(heads.Count, output.Split('\n').Count(line => line.Contains("max |difference|", StringComparison.Ordinal)));
        Assert.EndsWith("match", output.TrimEnd(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task HeadsThatDifferFromTheSeedsAreAMismatch()
    {
        var options = Small(deepSupervision: false);
        var weights = Path.Combine(_folder, "weights.safetensors");
        NestedUNetWeights.CreateInitial(options, seed: 3).SaveSafetensors(weights);
        var onnx = Path.Combine(_folder, "model.onnx");

        // A model built from other weights stands for a graph that computes something else.
        var other = NestedUNetBuilder.Build(options, NestedUNetWeights.CreateInitial(options, seed: 4));
        ModelFile.Save(other, onnx);
        random.manual_seed(11);
        using var input = (rand(1, options.InChannels, 32, 48) * 4) - 2;
        var outputs = Directory.CreateDirectory(Path.Combine(_folder, "heads")).FullName;
        WriteNpy(Path.Combine(outputs, "input.npy"), input.data<float>().ToArray(), input.shape);
        WriteNpy(Path.Combine(outputs, "final.npy"), RunOnnx(other, input, ["final"])[0], [1, options.Classes, 32, 48]);

        var (code, output) = await RunCheckAsync(onnx, weights, "--outputs", outputs);

        Assert.Equal(1, code);
        Assert.Contains("MISMATCH", output, StringComparison.Ordinal);
    }

    private static async Task<(int Code, string Output)> RunCheckAsync(params string[] arguments)
    {
        TestTier.StartingProcess("python3 with PyTorch");

        // Debian's interpreter, the one python3-torch is installed for (a python3 earlier on the PATH may lack it).
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(RepoPaths.Root, "tools", "parity", "check.py"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var error = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await output + await error);
    }

    /// <summary>
    /// A float32 array as NumPy's .npy: magic, version 1.0, a header dict padded to 64 bytes, the data in C
    /// order. Written by hand: the format is a few lines, and no .NET package the project uses writes it.
    /// </summary>
    private static void WriteNpy(string path, float[] values, long[] shape)
    {
        var dims = string.Join(", ", shape) + (shape.Length == 1 ? "," : "");
        var header = $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({dims}), }}";
        header = header.PadRight(((10 + header.Length + 1 + 63) / 64 * 64) - 10 - 1) + "\n";
        using var file = File.Create(path);
        file.Write([0x93, .. "NUMPY"u8, 1, 0]);
        file.Write(BitConverter.GetBytes((ushort)header.Length));
        file.Write(Encoding.ASCII.GetBytes(header));
        var bytes = new byte[values.Length * sizeof(float)];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        file.Write(bytes);
    }
}
