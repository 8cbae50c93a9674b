using System.CommandLine;
using UNetPP.Cluster.Segmentation.Synthetic;

namespace UNetPP.Cluster.Client.Commands;

/// <summary><c>unetpp nuclei</c>: writes a synthetic fluorescence-nuclei data set (images/ and masks/) to train or test on.</summary>
internal sealed class NucleiCommand : Command
{
    private readonly Option<string> output = new("--out") { Description = "Folder to create images/ and masks/ in.", Required = true };
    private readonly Option<int> count = new("--count") { Description = "Number of image/mask pairs.", DefaultValueFactory = _ => 100 };
    private readonly Option<int> width = new("--width") { Description = "Image width in pixels.", DefaultValueFactory = _ => 256 };
    private readonly Option<int> height = new("--height") { Description = "Image height in pixels.", DefaultValueFactory = _ => 256 };
    private readonly Option<int> seed = new("--seed") { Description = "The same seed gives the same images.", DefaultValueFactory = _ => 1 };

    public NucleiCommand(Terminal terminal)
        : base("nuclei", "Write synthetic fluorescence-style nuclei images with their ground-truth masks.")
    {
        foreach (var option in new Option[] { output, count, width, height, seed })
        {
            Options.Add(option);
        }

        SetAction(parse =>
        {
            var folder = parse.GetRequiredValue(output);
            var written = SyntheticNuclei.Write(
                folder, Positive(parse.GetValue(count), "--count"), Positive(parse.GetValue(width), "--width"), Positive(parse.GetValue(height), "--height"), parse.GetValue(seed));
            terminal.Output.WriteLine($"Wrote {written.Count} image(s) and mask(s) under {Path.GetFullPath(folder)}");
            return ExitCodes.Success;
        });
    }

    private static int Positive(int value, string option) =>
        value > 0 ? value : throw new UsageException($"{option} must be a positive whole number; got {value}.");
}
