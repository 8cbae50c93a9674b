using NetVips;

namespace UNetPP.Cluster.Training.Tests;

/// <summary>training.png as a person reads it: two panels with axes, round ticks, titles and a legend.</summary>
public sealed class TrainingPlotTests
{
    private static readonly EpochResult[] Run =
    [
        new(1, 1e-3, 0.92, 0.31, 0.95, 0.28, 0.44, TimeSpan.FromSeconds(10), true),
        new(2, 9e-4, 0.71, 0.52, 0.77, 0.47, 0.64, TimeSpan.FromSeconds(20), true),
        new(3, 8e-4, 0.55, 0.66, 0.62, 0.61, 0.75, TimeSpan.FromSeconds(30), true),
        new(4, 6e-4, 0.49, 0.71, 0.60, 0.63, 0.77, TimeSpan.FromSeconds(40), true),
    ];

    [Fact]
    public void EachPanelHasItsTitleAxesTicksAndALegend()
    {
        var svg = TrainingPlot.Svg(Run);

        Assert.Equal(2, Count(svg, ">epoch</text>"));
        Assert.Contains(">loss</text>", svg, StringComparison.Ordinal);
        Assert.Contains(">IoU</text>", svg, StringComparison.Ordinal);
        Assert.Equal(2, Count(svg, ">training</text>"));
        Assert.Equal(2, Count(svg, ">validation</text>"));

        // Round ticks that cover the values: loss 0.49–0.95 and IoU 0.28–0.71 in steps of 0.1, epochs 1 to 4.
        foreach (var tick in new[] { ">0.4</text>", ">1.0</text>", ">0.2</text>", ">0.8</text>", ">1</text>", ">4</text>" })
        {
            Assert.Contains(tick, svg, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void ThePngIsTheSvgRenderedWithItsTextOnWhite()
    {
        using var png = Image.NewFromBuffer(TrainingPlot.Render(Run));

        Assert.Equal((900, 340, 3), (png.Width, png.Height, png.Bands));

        // The legend's words are drawn: dark pixels where "training" is written in the left panel's corner.
        using var legend = png.Crop(450 - 16 - 110 + 34, 40 + 6 + 4, 60, 14);
        Assert.True(legend.Min() < 100, "the legend's text is not drawn; are fonts installed?");
        using var corner = png.Crop(0, 0, 20, 20);
        Assert.Equal(255, corner.Min());
    }

    private static int Count(string text, string part)
    {
        var count = 0;
        for (var at = text.IndexOf(part, StringComparison.Ordinal); at >= 0; at = text.IndexOf(part, at + part.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
