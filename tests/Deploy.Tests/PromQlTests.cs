using UNetPP.Cluster.TestSupport;

namespace UNetPP.Cluster.Deploy.Tests;

/// <summary>The metric-name reader finds the metrics of an expression and nothing else: not functions, labels, strings, numbers or keywords.</summary>
public sealed class PromQlTests
{
    [Theory]
    [InlineData("sum by (instance) (rate(unetpp_tiles_total[1m]))", "unetpp_tiles_total")]
    [InlineData("histogram_quantile(0.95, sum by (le, stage) (rate(unetpp_stage_duration_seconds_bucket{stage=~\"a|b\"}[5m])))", "unetpp_stage_duration_seconds_bucket")]
    [InlineData("count(up{job=\"unetpp-silo\"} == 1)", "up")]
    [InlineData("a / on(instance) group_left(device) b", "a b")]
    [InlineData("a * ignoring(job) group_right b", "a b")]
    [InlineData("rate(x[5m] offset 1h) > bool 0", "x")]
    [InlineData("rate(x[5m] offset -1h30m) @ end()", "x")]
    [InlineData("sum without (le) (x{label=\"}[by(\", other='{'}) * 2e-3 + 0x1F - .5", "x")]
    [InlineData("label_replace(x, \"dst\", \"$1\", \"src\", \"(.*)\")", "x")]
    [InlineData("{__name__=\"x\", job!=\"y\"} or {__name__=~\"ignored.*\"}", "x")]
    [InlineData("rate(x{instance=~\"$instance\"}[$__rate_interval]) and ignoring(job) y{instance=~\"${instance}\"}", "x y")]
    [InlineData("SUM BY (instance) (x) UNLESS Y", "x Y")]
    [InlineData("sum(x) # y is a comment\n+ z", "x z")]
    [InlineData("-Inf < x and NaN != x", "x")]
    [InlineData("topk(3, x) unless count_values(\"le\", y)", "x y")]
    [InlineData("vector(1) + time()", "")]
    [InlineData("max_over_time(x:rate5m[10m:1m])", "x:rate5m")]
    [InlineData("sum(x) by (instance)", "x")]
    public void AnExpressionNamesItsMetrics(string expression, string expected)
    {
        Assert.Equal(expected.Split(' ', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal), PromQl.MetricNames(expression).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void ADashboardsExpressionsComeFromPanelsRowsAndQueryVariables()
    {
        const string dashboard = """
            {
              "panels": [
                {"type": "stat", "targets": [{"expr": "a"}, {"expr": ""}, {"refId": "B"}]},
                {"type": "row", "panels": [{"targets": [{"expr": "b"}]}]}
              ],
              "templating": {"list": [
                {"type": "datasource", "query": "prometheus"},
                {"type": "custom", "query": "x,y"},
                {"type": "query", "query": {"query": "label_values(up{job=\"j\", le=\"a,b\"}, instance)"}},
                {"type": "query", "query": "label_values(instance)"},
                {"type": "query", "query": "query_result(topk(3, c))"},
                {"type": "query", "query": "d"}
              ]}
            }
            """;

        Assert.Equal(["a", "b", "up{job=\"j\", le=\"a,b\"}", "topk(3, c)", "d"], PromQl.DashboardExpressions(dashboard));
    }

    [Theory]
    [InlineData("rate(x{instance=~\"$instance\"}[$__rate_interval])", "rate(x{instance=~\".*\"}[1m])")]
    [InlineData("increase(x{a=~\"${a:regex}\"}[$__range]) / $__range_s", "increase(x{a=~\".*\"}[1m]) / 60")]
    [InlineData("x[${__interval}] * $__interval_ms", "x[1m] * 60000")]
    public void GrafanaVariablesResolveToWhatPrometheusAccepts(string expression, string expected)
    {
        Assert.Equal(expected, PromQl.ResolveGrafanaVariables(expression));
    }
}
