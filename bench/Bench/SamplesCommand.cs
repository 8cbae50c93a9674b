using System.CommandLine;
using UNetPP.Cluster.Segmentation.Synthetic;

namespace UNetPP.Cluster.Bench;

/// <summary><c>unetpp-bench samples</c>: writes a synthetic nuclei data set (images/ and masks/ with matching names).</summary>
internal static class SamplesCommand
{
    private static readonly Option<string> Out = new("--out") { Description = "Folder to create images/ and masks/ in.", Required = true };
    private static readonly Option<int> Count = new("--count") { Description = "Number of images.", DefaultValueFactory = _ => 8 };
    private static readonly Option<int> Width = new("--width") { Description = "Image width in pixels.", DefaultValueFactory = _ => 256 };
    private static readonly Option<int> Height = new("--height") { Description = "Image height in pixels.", DefaultValueFactory = _ => 256 };
    private static readonly Option<int> Seed = new("--seed") { Description = "Seed; the same seed gives the same images.", DefaultValueFactory = _ => 1 };

    public static Command Create()
    {
        var command = new Command("samples", "Write a synthetic nuclei data set.") { Out, Count, Width, Height, Seed };
        command.SetAction(parse =>
        {
            Write(parse.GetRequiredValue(Out), parse.GetValue(Count), parse.GetValue(Width), parse.GetValue(Height), parse.GetValue(Seed));
            return 0;
        });
        return command;
    }

    /// <summary>The generator <c>unetpp nuclei</c> and training use, so benchmark images look like what the model sees.</summary>
    public static IReadOnlyList<string> Write(string folder, int count, int width, int height, int seed) =>
        SyntheticNuclei.Write(folder, count, width, height, seed);
}
