using System.Text.Json;
using System.Text.RegularExpressions;
using k8s.Models;
using Robinhood.Charts.Tests.Helm;

namespace Robinhood.Charts.Tests;

/// <summary>The Grafana dashboard ConfigMap: rendered on request, loadable by the sidecar, and querying only metrics the controller exports.</summary>
[Collection(HelmCollection.Name)]
public sealed partial class GrafanaDashboardTests(HelmFixture helm)
{
    private static readonly string[] Enabled = ["--set", "grafana.dashboards.enabled=true"];

    [Fact]
    public void Template_DefaultValues_RenderNoDashboard()
    {
        Assert.DoesNotContain(helm.Render(null).All<V1ConfigMap>(), c => c.Metadata.Name.EndsWith("-grafana-dashboard", StringComparison.Ordinal));
    }

    [Fact]
    public void Lint_Strict_PassesWithTheDashboardEnabled()
    {
        var result = helm.Helm(["lint", "--strict", HelmFixture.ChartPath, "--namespace", HelmFixture.Namespace, .. HelmFixture.RequiredValues, .. Enabled]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("0 chart(s) failed", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Template_Enabled_RendersAConfigMapTheGrafanaSidecarLoads()
    {
        var map = Dashboard(Enabled);

        Assert.Equal("1", map.Metadata.Labels["grafana_dashboard"]);
        Assert.Equal("rh", map.Metadata.Labels["app.kubernetes.io/instance"]);
        var (key, json) = Assert.Single(map.Data);
        Assert.Equal("robinhood.json", key);
        Assert.Equal(File.ReadAllText(RepositoryRoot.Combine("charts", "robinhood", "dashboards", "robinhood.json")).TrimEnd(), json);
        using var dashboard = JsonDocument.Parse(json);
        Assert.Equal("robinhood-controller", dashboard.RootElement.GetProperty("uid").GetString());
    }

    [Fact]
    public void Template_LabelsAnnotationsAndNamespace_AreTheOperatorsToChoose()
    {
        var map = Dashboard([.. Enabled,
            "--set", "grafana.dashboards.labels.grafana_dashboard=null", "--set-string", "grafana.dashboards.labels.dashboards=robinhood",
            "--set", "grafana.dashboards.annotations.grafana_folder=Robinhood", "--set", "grafana.dashboards.namespace=monitoring"]);

        Assert.Equal("robinhood", map.Metadata.Labels["dashboards"]);
        Assert.False(map.Metadata.Labels.ContainsKey("grafana_dashboard"));
        Assert.Equal("Robinhood", map.Metadata.Annotations["grafana_folder"]);
        Assert.Equal("monitoring", map.Metadata.NamespaceProperty);
    }

    [Fact]
    public void Dashboard_EveryPanelQueriesMetricFamiliesTheControllerExports()
    {
        var families = ControllerFamilies();
        using var dashboard = JsonDocument.Parse(File.ReadAllText(RepositoryRoot.Combine("charts", "robinhood", "dashboards", "robinhood.json")));

        var panels = Panels(dashboard.RootElement.GetProperty("panels")).Where(p => p.GetProperty("type").GetString() != "row").ToList();
        Assert.True(panels.Count >= 12, $"only {panels.Count} panels");
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var panel in panels)
        {
            var title = panel.GetProperty("title").GetString();
            var exprs = panel.GetProperty("targets").EnumerateArray().Select(t => t.GetProperty("expr").GetString() ?? "").ToList();
            Assert.True(exprs.Count > 0, $"panel '{title}' has no query");
            foreach (var expr in exprs)
            {
                var referenced = MetricName().Matches(expr).Select(m => Family(m.Value)).ToList();
                Assert.True(referenced.Count > 0, $"panel '{title}' queries no robinhood_ metric: {expr}");
                foreach (var family in referenced)
                {
                    Assert.True(families.Contains(family), $"panel '{title}' queries {family}, which ControllerMetrics.cs does not define: {expr}");
                    used.Add(family);
                }
            }
        }

        foreach (var variable in dashboard.RootElement.GetProperty("templating").GetProperty("list").EnumerateArray()
            .Where(v => v.GetProperty("type").GetString() == "query"))
        {
            var query = variable.GetProperty("definition").GetString() ?? "";
            Assert.All(MetricName().Matches(query), m => Assert.Contains(Family(m.Value), families));
        }

        foreach (var required in new[]
        {
            "robinhood_controller_service_max_avg_utilization_ratio", "robinhood_controller_endpoint_utilization_ratio",
            "robinhood_controller_endpoint_weight", "robinhood_controller_endpoint_pid_term", "robinhood_controller_tick_duration_seconds",
            "robinhood_controller_reports_total", "robinhood_controller_watchers", "robinhood_controller_push_latency_seconds",
            "robinhood_controller_service_frozen", "robinhood_controller_redis_up", "robinhood_controller_leader",
            "robinhood_controller_shard_owned", "robinhood_controller_xds_push_latency_seconds", "robinhood_controller_xds_nacks_total",
            "robinhood_controller_watches_refused_total", "robinhood_controller_reads_refused_total",
        })
        {
            Assert.Contains(required, used);
        }
    }

    [Fact]
    public void Dashboard_TickDurationPanel_ShowsP50AndP99FromTheHistogram()
    {
        using var dashboard = JsonDocument.Parse(File.ReadAllText(RepositoryRoot.Combine("charts", "robinhood", "dashboards", "robinhood.json")));

        var exprs = Panels(dashboard.RootElement.GetProperty("panels"))
            .SelectMany(p => p.TryGetProperty("targets", out var t) ? t.EnumerateArray() : Enumerable.Empty<JsonElement>())
            .Select(t => t.GetProperty("expr").GetString() ?? "")
            .Where(e => e.Contains("robinhood_controller_tick_duration_seconds_bucket", StringComparison.Ordinal))
            .ToList();

        Assert.Contains(exprs, e => e.StartsWith("histogram_quantile(0.5,", StringComparison.Ordinal));
        Assert.Contains(exprs, e => e.StartsWith("histogram_quantile(0.99,", StringComparison.Ordinal));
        Assert.All(exprs, e => Assert.Contains("by (le)", e, StringComparison.Ordinal));
    }

    private V1ConfigMap Dashboard(string[] set)
    {
        var result = helm.Helm(["template", HelmFixture.ReleaseName, HelmFixture.ChartPath, "--namespace", HelmFixture.Namespace, .. HelmFixture.RequiredValues, .. set]);
        Assert.True(result.ExitCode == 0, result.ToString());
        return RenderedChart.Parse(result.Output).Named<V1ConfigMap>("-grafana-dashboard");
    }

    /// <summary>Every family name ControllerMetrics.cs creates, read from the source.</summary>
    private static HashSet<string> ControllerFamilies()
    {
        var source = File.ReadAllText(RepositoryRoot.Combine("controller", "Robinhood.Controller", "ControllerMetrics.cs"));
        var families = QuotedMetricName().Matches(source).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
        Assert.True(families.Count >= 12, $"found only {families.Count} families in ControllerMetrics.cs");
        return families;
    }

    /// <summary>The family of a series name: a histogram's _bucket, _sum and _count series belong to it.</summary>
    private static string Family(string series) => HistogramSuffix().Replace(series, "");

    private static IEnumerable<JsonElement> Panels(JsonElement panels) =>
        panels.EnumerateArray().SelectMany(p => p.TryGetProperty("panels", out var nested) ? [p, .. Panels(nested)] : new[] { p });

    [GeneratedRegex(@"\brobinhood_[a-z0-9_]+")]
    private static partial Regex MetricName();

    [GeneratedRegex("\"(robinhood_[a-z0-9_]+)\"")]
    private static partial Regex QuotedMetricName();

    [GeneratedRegex("_(bucket|sum|count)$")]
    private static partial Regex HistogramSuffix();
}
