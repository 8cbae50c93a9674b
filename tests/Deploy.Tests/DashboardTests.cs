using System.Globalization;
using System.Text;
using System.Text.Json;
using UNetPP.Cluster.Processes;
using UNetPP.Cluster.TestSupport;

namespace UNetPP.Cluster.Deploy.Tests;

/// <summary>The Grafana dashboard is the cluster's, runs valid PromQL, and asks only for metrics the silo exports.</summary>
public sealed class DashboardTests
{
    private const string File = "deploy/grafana/dashboards/unetpp-cluster.json";

    private static string Json => Repo.Read(File);

    private static JsonElement Root => JsonSerializer.Deserialize<JsonElement>(Json);

    private static IReadOnlyList<JsonElement> Panels => [.. Root.GetProperty("panels").EnumerateArray()];

    [Fact]
    public void ItIsTheClustersDashboard()
    {
        Assert.Equal("UNet++ cluster", Root.GetProperty("title").GetString());
        Assert.Equal("unetpp-cluster", Root.GetProperty("uid").GetString());
        Assert.True(Root.GetProperty("schemaVersion").GetInt32() >= 36);
    }

    [Fact]
    public void EveryPanelRunsAtLeastOneQuery()
    {
        Assert.NotEmpty(Panels);
        Assert.All(Panels, panel =>
        {
            var targets = panel.GetProperty("targets").EnumerateArray().ToList();
            Assert.NotEmpty(targets);
            Assert.All(targets, t => Assert.False(string.IsNullOrWhiteSpace(t.GetProperty("expr").GetString()), $"panel '{panel.GetProperty("title")}': an empty query"));
        });
    }

    [Fact]
    public void EveryQueryNamesOnlyMetricsTheSiloExports()
    {
        var expressions = PromQl.DashboardExpressions(Json);

        Assert.Equal(Panels.Sum(p => p.GetProperty("targets").GetArrayLength()) + 1, expressions.Count);
        Assert.Empty(UnknownMetrics(Json));
    }

    [Fact]
    public void AQueryForAMetricTheSiloDoesNotExportIsFound()
    {
        const string dashboard = """{"panels": [{"targets": [{"expr": "sum(rate(unetpp_images_done_total[1m])) / count(up)"}]}]}""";

        Assert.Equal(["unetpp_images_done_total"], UnknownMetrics(dashboard));
    }

    [Fact]
    public void EveryMetricFamilyTheSiloExportsIsShown()
    {
        var used = PromQl.DashboardExpressions(Json).SelectMany(PromQl.MetricNames).ToHashSet();

        Assert.All(SiloMetrics.Families, family => Assert.True(family.Value.Any(used.Contains), $"no panel shows {family.Key}"));
    }

    [Fact]
    [Trait(TestTier.Category, TestTier.External)]
    public void PromtoolParsesEveryQuery()
    {
        var rules = new StringBuilder("groups:\n  - name: dashboard\n    rules:\n");
        var expressions = PromQl.DashboardExpressions(Json);
        for (var i = 0; i < expressions.Count; i++)
        {
            rules.Append(CultureInfo.InvariantCulture, $"      - record: dashboard:query_{i}\n        expr: {JsonSerializer.Serialize(PromQl.ResolveGrafanaVariables(expressions[i]))}\n");
        }

        var file = Path.Combine(Path.GetTempPath(), $"unetpp-dashboard-{Guid.NewGuid():N}.rules.yml");
        try
        {
            System.IO.File.WriteAllText(file, rules.ToString());
            var (exitCode, output) = Tools.Promtool("check", "rules", file);
            Assert.True(exitCode == 0, $"promtool check rules on the dashboard's queries failed:\n{output}\n{rules}");
        }
        finally
        {
            System.IO.File.Delete(file);
        }
    }

    [Fact]
    public void TheSiloSelectorListsTheScrapedSilos()
    {
        var variable = Root.GetProperty("templating").GetProperty("list").EnumerateArray().Single(v => v.GetProperty("name").GetString() == "instance");

        Assert.Equal("query", variable.GetProperty("type").GetString());
        Assert.Equal($"label_values(up{{job=\"{PrometheusConfig.SiloJobName}\"}}, instance)", variable.GetProperty("query").GetProperty("query").GetString());
        Assert.True(variable.GetProperty("includeAll").GetBoolean());
        Assert.Equal(".*", variable.GetProperty("allValue").GetString());
    }

    [Fact]
    public void EveryPanelReadsTheChosenPrometheus()
    {
        var source = Assert.Single(YamlNode.Load("deploy/grafana/provisioning/datasources/prometheus.yml")["datasources"].Items);
        var variable = Root.GetProperty("templating").GetProperty("list").EnumerateArray().Single(v => v.GetProperty("name").GetString() == "datasource");

        Assert.Equal(source["type"].Text, variable.GetProperty("query").GetString());
        Assert.Equal("true", source["isDefault"].Text);
        Assert.All(Panels.SelectMany(p => p.GetProperty("targets").EnumerateArray().Append(p)), element =>
            Assert.Equal("${datasource}", element.GetProperty("datasource").GetProperty("uid").GetString()));
    }

    [Fact]
    public void PanelsHaveTheirOwnIdsAndPlacesOnTheGrid()
    {
        var ids = Panels.Select(p => p.GetProperty("id").GetInt32()).ToList();
        var cells = new HashSet<(int X, int Y)>();

        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.All(Panels, panel =>
        {
            var grid = panel.GetProperty("gridPos");
            var (x, y, w, h) = (grid.GetProperty("x").GetInt32(), grid.GetProperty("y").GetInt32(), grid.GetProperty("w").GetInt32(), grid.GetProperty("h").GetInt32());
            Assert.InRange(x + w, 1, 24);
            for (var column = x; column < x + w; column++)
            {
                for (var row = y; row < y + h; row++)
                {
                    Assert.True(cells.Add((column, row)), $"panel '{panel.GetProperty("title")}' overlaps another at ({column}, {row}).");
                }
            }
        });
    }

    private static List<string> UnknownMetrics(string dashboard) =>
        PromQl.DashboardExpressions(dashboard).SelectMany(PromQl.MetricNames).Where(n => !SiloMetrics.Names.Contains(n)).Distinct().ToList();
}
