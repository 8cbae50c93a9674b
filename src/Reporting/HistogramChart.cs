using System.Net;
using System.Text;

namespace UNetPP.Cluster.Reporting;

/// <summary>Draws a <see cref="Histogram"/> as inline SVG: bars with their counts, a y axis of what they count, labelled axes.</summary>
internal static class HistogramChart
{
    private const double Width = 440;
    private const double Height = 236;
    private const double Left = 54;
    private const double Right = 16;
    private const double Top = 18;
    private const double Bottom = 52;
    private const double PlotWidth = Width - Left - Right;
    private const double PlotHeight = Height - Top - Bottom;

    // One or two bars as wide as the plot would read as a block, not a histogram.
    private const double WidestBar = PlotWidth / 3;

    private const int MostLabels = 8;

    /// <param name="histogram">What to draw; it has at least one bin.</param>
    /// <param name="title">Says what the chart shows, for screen readers and the tooltip.</param>
    /// <param name="axis">The x axis title.</param>
    /// <param name="format">Writes a value of the x axis.</param>
    /// <param name="counted">What the bars count, one of them: the y axis title is its plural.</param>
    public static string Svg(Histogram histogram, string title, string axis, Func<double, string> format, string counted = "image")
    {
        var bins = histogram.Bins;
        var peak = bins.Max(b => b.Count);
        var step = YStep(peak);
        var top = Math.Max(step, (int)Math.Ceiling((double)peak / step) * step);
        var bar = Math.Min(PlotWidth / bins.Count, WidestBar);
        var x0 = Left + ((PlotWidth - (bar * bins.Count)) / 2);
        var baseline = Top + PlotHeight;

        var svg = new StringBuilder();
        Append(svg, $"<svg class=\"chart\" viewBox=\"0 0 {Width} {Height}\" width=\"{Width}\" height=\"{Height}\" role=\"img\" aria-label=\"{Escape(title)}\"><title>{Escape(title)}</title>");
        for (var tick = 0; tick <= top; tick += step)
        {
            var y = baseline - (tick * PlotHeight / top);
            Append(svg, $"<line class=\"grid\" x1=\"{Left:0.#}\" y1=\"{y:0.#}\" x2=\"{Left + PlotWidth:0.#}\" y2=\"{y:0.#}\"/><text class=\"tick\" x=\"{Left - 6:0.#}\" y=\"{y + 4:0.#}\" text-anchor=\"end\">{tick}</text>");
        }

        for (var i = 0; i < bins.Count; i++)
        {
            var bin = bins[i];
            var height = bin.Count * PlotHeight / top;
            var x = x0 + (i * bar);
            Append(svg, $"<rect class=\"bar\" x=\"{x + 1:0.##}\" y=\"{baseline - height:0.##}\" width=\"{Math.Max(bar - 2, 1):0.##}\" height=\"{height:0.##}\"><title>{Escape(Range(bin, format))}: {bin.Count} {Escape(counted)}{(bin.Count == 1 ? "" : "s")}</title></rect>");
            if (bin.Count > 0 && bins.Count <= 24)
            {
                Append(svg, $"<text class=\"count\" x=\"{x + (bar / 2):0.##}\" y=\"{baseline - height - 4:0.#}\" text-anchor=\"middle\">{bin.Count}</text>");
            }
        }

        XLabels(svg, histogram, format, x0, bar, baseline);
        Append(svg, $"<line class=\"axis\" x1=\"{Left:0.#}\" y1=\"{baseline:0.#}\" x2=\"{Left + PlotWidth:0.#}\" y2=\"{baseline:0.#}\"/><line class=\"axis\" x1=\"{Left:0.#}\" y1=\"{Top:0.#}\" x2=\"{Left:0.#}\" y2=\"{baseline:0.#}\"/>");
        Append(svg, $"<text class=\"axis-title\" x=\"{Left + (PlotWidth / 2):0.#}\" y=\"{Height - 8:0.#}\" text-anchor=\"middle\">{Escape(axis)}</text>");
        Append(svg, $"<text class=\"axis-title\" transform=\"translate(14 {Top + (PlotHeight / 2):0.#}) rotate(-90)\" text-anchor=\"middle\">{Escape(counted)}s</text></svg>");
        return svg.ToString();
    }

    /// <summary>Counts and single values are labelled under their bars; measurement bins at their edges.</summary>
    private static void XLabels(StringBuilder svg, Histogram histogram, Func<double, string> format, double x0, double bar, double baseline)
    {
        var bins = histogram.Bins;
        var y = baseline + 16;
        if (histogram.Counts || bins[0].From == bins[0].To)
        {
            var every = (int)Math.Ceiling((double)bins.Count / MostLabels);
            for (var i = 0; i < bins.Count; i += every)
            {
                Append(svg, $"<text class=\"tick\" x=\"{x0 + (i * bar) + (bar / 2):0.##}\" y=\"{y:0.#}\" text-anchor=\"middle\">{Escape(Range(bins[i], format))}</text>");
            }

            return;
        }

        var edges = bins.Count + 1;
        var stride = (int)Math.Ceiling((double)edges / MostLabels);
        for (var i = 0; i < edges; i += stride)
        {
            var value = i < bins.Count ? bins[i].From : bins[^1].To;
            Append(svg, $"<line class=\"axis\" x1=\"{x0 + (i * bar):0.##}\" y1=\"{baseline:0.#}\" x2=\"{x0 + (i * bar):0.##}\" y2=\"{baseline + 4:0.#}\"/><text class=\"tick\" x=\"{x0 + (i * bar):0.##}\" y=\"{y:0.#}\" text-anchor=\"middle\">{Escape(format(value))}</text>");
        }
    }

    /// <summary>What a bin holds, in words of the axis: "3", "3–5" or "10–15".</summary>
    private static string Range(HistogramBin bin, Func<double, string> format) =>
        bin.From == bin.To ? format(bin.From) : $"{format(bin.From)}–{format(bin.To)}";

    /// <summary>A whole step of 1, 2 or 5 times a power of ten giving at most five gridlines above zero.</summary>
    private static int YStep(int peak)
    {
        for (var magnitude = 1; ; magnitude *= 10)
        {
            foreach (var multiple in (ReadOnlySpan<int>)[1, 2, 5])
            {
                if (peak <= multiple * magnitude * 5)
                {
                    return multiple * magnitude;
                }
            }
        }
    }

    private static string Escape(string text) => WebUtility.HtmlEncode(text);

    private static void Append(StringBuilder svg, FormattableString text) => svg.Append(FormattableString.Invariant(text));
}
