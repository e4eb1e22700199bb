using System.Text;
using k8s.Models;
using Robinhood.Charts.Tests.Helm;

namespace Robinhood.Charts.Tests;

/// <summary>
/// readAccess as the chart renders it: on by default with a generated token in a Secret, sent by the controller's
/// every reader the chart deploys (the proxy) and by the ServiceMonitor; an existing Secret instead; off.
/// </summary>
[Collection(HelmCollection.Name)]
public sealed class ReadAccessTests(HelmFixture helm)
{
    private static V1Container Controller(RenderedChart chart) =>
        chart.Named<V1Deployment>("-controller").Spec.Template.Spec.Containers.Single(c => c.Name == "controller");

    private static V1Container Proxy(RenderedChart chart) =>
        chart.Named<V1Deployment>("-proxy").Spec.Template.Spec.Containers.Single();

    [Fact]
    public void Default_GeneratesATokenTheControllerRequiresAndTheProxyAndServiceMonitorSend()
    {
        var chart = helm.Render(ValueSets.Production);
        var secret = chart.Named<V1Secret>("-read");
        var token = Encoding.UTF8.GetString(secret.Data["token"]);
        // What Robinhood:Read:Token accepts (16..4096 characters of token68), long enough not to guess.
        Assert.Matches("^[A-Za-z0-9]{32,4096}$", token);

        var controller = Controller(chart).Env("Robinhood__Read__Token").ValueFrom.SecretKeyRef;
        Assert.Equal((secret.Metadata.Name, "token"), (controller.Name, controller.Key));
        Assert.False(Controller(chart).HasEnv("Robinhood__Read__XdsWithoutToken"), "xDS is guarded by default");
        var proxy = Proxy(chart).Env("Robinhood__Client__ReadToken").ValueFrom.SecretKeyRef;
        Assert.Equal((secret.Metadata.Name, "token"), (proxy.Name, proxy.Key));
        var scrape = Assert.Single(Assert.Single(chart.All<ServiceMonitor>()).Spec.Endpoints).Authorization;
        Assert.Equal("Bearer", scrape?.Type);
        Assert.Equal((secret.Metadata.Name, "token"), (scrape!.Credentials.Name, scrape.Credentials.Key));

        // Probes stay open: they carry no token.
        Assert.Equal("/readyz", Controller(chart).ReadinessProbe.HttpGet.Path);
        Assert.Equal("/healthz", Controller(chart).LivenessProbe.HttpGet.Path);
    }

    [Fact]
    public void DefaultValues_TokenOnWithoutTheProxy()
    {
        var chart = helm.Render(null);
        Assert.Equal(chart.Named<V1Secret>("-read").Metadata.Name, Controller(chart).Env("Robinhood__Read__Token").ValueFrom.SecretKeyRef.Name);
    }

    [Fact]
    public void ExistingSecret_IsUsedEverywhereAndNoneGenerated_XdsOpenWhenAsked()
    {
        var chart = helm.Render(ValueSets.ReadAccessExisting);

        Assert.DoesNotContain(chart.All<V1Secret>(), s => s.Metadata.Name.EndsWith("-read", StringComparison.Ordinal));
        foreach (var reference in new[]
        {
            Controller(chart).Env("Robinhood__Read__Token").ValueFrom.SecretKeyRef,
            Proxy(chart).Env("Robinhood__Client__ReadToken").ValueFrom.SecretKeyRef,
            Assert.Single(Assert.Single(chart.All<ServiceMonitor>()).Spec.Endpoints).Authorization!.Credentials,
        })
        {
            Assert.Equal(("robinhood-read-token", "read"), (reference.Name, reference.Key));
        }

        Assert.Equal("true", Controller(chart).Env("Robinhood__Read__XdsWithoutToken").Value);
    }

    [Fact]
    public void Disabled_NoTokenAnywhere()
    {
        var chart = helm.Render(ValueSets.MinimalNoAgent);

        Assert.False(Controller(chart).HasEnv("Robinhood__Read__Token"));
        Assert.DoesNotContain(chart.All<V1Secret>(), s => s.Metadata.Name.EndsWith("-read", StringComparison.Ordinal));
    }
}
