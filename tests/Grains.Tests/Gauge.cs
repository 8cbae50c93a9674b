using System.Diagnostics.Metrics;
using UNetPP.Cluster.Grains.Telemetry;

namespace UNetPP.Cluster.Grains.Tests;

/// <summary>Reads one of the cluster's gauges now, as a scrape would.</summary>
internal static class Gauge
{
    /// <summary>The value of <paramref name="instrument"/> with the tag <paramref name="tag"/> = <paramref name="value"/>: exactly one must be reported.</summary>
    public static int Read(string instrument, string tag, string value) => Assert.Single(ReadAll(instrument, tag, value));

    /// <summary>Every value of <paramref name="instrument"/> reported with the tag <paramref name="tag"/> = <paramref name="value"/>: none when nothing reports it.</summary>
    public static IReadOnlyList<int> ReadAll(string instrument, string tag, string value)
    {
        var values = new List<int>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (published, l) =>
            {
                if (published.Meter.Name == ClusterTelemetry.Name && published.Name == instrument)
                {
                    l.EnableMeasurementEvents(published);
                }
            },
        };
        listener.SetMeasurementEventCallback<int>((_, measured, tags, _) =>
        {
            foreach (var pair in tags)
            {
                if (pair.Key == tag && (string?)pair.Value == value)
                {
                    values.Add(measured);
                }
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return values;
    }
}
