using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using k8s.Models;
using Robinhood.Charts.Tests.Helm;

namespace Robinhood.Charts.Tests;

/// <summary>
/// redis.tls: Redis listens with TLS only, the controller trusts the CA of its certificate; the certificate is generated
/// by the chart or issued by cert-manager. The generated one is run: a real redis-server with the rendered arguments and
/// Secret answers a client that trusts the rendered ca.crt, and refuses one that does not.
/// </summary>
[Collection(HelmCollection.Name)]
public sealed class RedisTlsTests(HelmFixture helm)
{
    private const string RedisTls = "redis-tls.yaml";
    private const string RedisTlsCertManager = "redis-tls-cert-manager.yaml";
    private const string CaMount = "/var/run/secrets/robinhood/redis-tls";

    [Fact]
    public void Default_RedisWithoutTls()
    {
        var chart = helm.Render(null);
        var redis = chart.Named<V1Deployment>("-redis").Spec.Template.Spec.Containers.Single();

        Assert.DoesNotContain("--tls-port", redis.Args);
        Assert.False(chart.Named<V1Deployment>("-controller").Spec.Template.Spec.Containers.Single().HasEnv("Robinhood__Redis__CaFile"));
        Assert.DoesNotContain(chart.All<V1Secret>(), s => s.Metadata.Name.EndsWith("-redis-tls", StringComparison.Ordinal));
    }

    [Fact]
    public void Tls_GeneratedCertificate_RedisTlsOnlyAndTheControllerTrustsItsCa()
    {
        var chart = helm.Render(RedisTls);
        var redisPod = chart.Named<V1Deployment>("-redis").Spec.Template.Spec;
        var redis = redisPod.Containers.Single();
        var controllerPod = chart.Named<V1Deployment>("-controller").Spec.Template.Spec;
        var controller = controllerPod.Containers.Single();
        var secret = chart.Named<V1Secret>("-redis-tls");

        Assert.Equal("0", redis.Args[redis.Args.IndexOf("--port") + 1]);
        Assert.Equal("6379", redis.Args[redis.Args.IndexOf("--tls-port") + 1]);
        Assert.Equal("kubernetes.io/tls", secret.Type);
        Assert.Equal(secret.Metadata.Name, redisPod.Volumes.Single(v => v.Name == "tls").Secret.SecretName);
        Assert.Equal($"{CaMount}/ca.crt", controller.Env("Robinhood__Redis__CaFile").Value);
        Assert.Equal(CaMount, controller.VolumeMounts.Single(m => m.Name == "redis-tls").MountPath);
        var caVolume = controllerPod.Volumes.Single(v => v.Name == "redis-tls").Secret;
        Assert.Equal(secret.Metadata.Name, caVolume.SecretName);
        Assert.Equal(["ca.crt"], caVolume.Items.Select(i => i.Key));

        // The certificate names the Service the controller dials, and the CA it is given signed it.
        using var ca = X509Certificate2.CreateFromPem(Encoding.UTF8.GetString(secret.Data["ca.crt"]));
        using var certificate = X509Certificate2.CreateFromPem(Encoding.UTF8.GetString(secret.Data["tls.crt"]));
        var service = $"{HelmFixture.ReleaseName}-robinhood-redis";
        Assert.StartsWith(service + ":", controller.Env("ConnectionStrings__Redis").Value, StringComparison.Ordinal);
        Assert.True(certificate.MatchesHostname(service), certificate.Subject);
        Assert.True(certificate.MatchesHostname($"{service}.{HelmFixture.Namespace}.svc.cluster.local"));
        using var chain = new X509Chain { ChainPolicy = { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck } };
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        Assert.True(chain.Build(certificate), string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation)));
    }

    [Fact]
    public void Tls_CertManager_RendersACertificateForTheServiceAndGeneratesNothing()
    {
        // KubernetesClient's model has no cert-manager types: read the manifests as text.
        var result = helm.Template(RedisTlsCertManager);
        var manifest = result.Output;

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("kind: Certificate\nmetadata:\n  name: rh-robinhood-redis-tls\n", manifest, StringComparison.Ordinal);
        Assert.Contains("secretName: rh-robinhood-redis-tls", manifest, StringComparison.Ordinal);
        Assert.Contains("- rh-robinhood-redis.robinhood.svc.cluster.local", manifest, StringComparison.Ordinal);
        Assert.Contains("name: internal-ca\n    kind: ClusterIssuer", manifest, StringComparison.Ordinal);
        Assert.DoesNotContain("type: kubernetes.io/tls", manifest, StringComparison.Ordinal);
    }

    [Fact]
    public void Tls_CertManagerWithoutAnIssuer_RefusedNamingTheKey()
    {
        var result = helm.Template("invalid/redis-tls-cert-manager-without-issuer.yaml");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("redis.tls.certManager.issuerRef.name is required", result.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tls_GeneratedCertificate_RealRedisWithTheRenderedArgsAnswersOnlyAClientTrustingTheRenderedCa()
    {
        var chart = helm.Render(RedisTls);
        var redis = chart.Named<V1Deployment>("-redis").Spec.Template.Spec.Containers.Single();
        var secret = chart.Named<V1Secret>("-redis-tls");
        var root = Directory.CreateTempSubdirectory("robinhood-chart-redis-tls-").FullName;
        var port = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture);
        const string password = "rendered-password";
        try
        {
            // The Secret as the pod mounts it at /tls, its data volume, the pod's fixed port and $(REDIS_PASSWORD) as a
            // cluster provides them.
            foreach (var (key, value) in secret.Data)
            {
                File.WriteAllBytes(Path.Join(root, key), value);
            }

            var args = redis.Args.Skip(1)
                .Select(a => a.StartsWith("/tls/", StringComparison.Ordinal) ? Path.Join(root, a["/tls/".Length..]) : a)
                .Select(a => a == "6379" ? port : a == "$(REDIS_PASSWORD)" ? password : a == "/data" ? root : a)
                .Concat(["--bind", "127.0.0.1"]);
            using var server = Start(redis.Args[0], args);
            server.BeginOutputReadLine();
            server.BeginErrorReadLine();
            try
            {
                var trusted = await EventuallyPingAsync(["--tls", "--cacert", Path.Join(root, "ca.crt"), "-h", "127.0.0.1", "-p", port, "-a", password, "--no-auth-warning", "ping"]);
                Assert.Equal("PONG", trusted);
                var untrusted = await RunAsync("redis-cli", ["--tls", "-h", "127.0.0.1", "-p", port, "-a", password, "--no-auth-warning", "ping"]);
                Assert.DoesNotContain("PONG", untrusted, StringComparison.Ordinal);
                var plaintext = await RunAsync("redis-cli", ["-h", "127.0.0.1", "-p", port, "-a", password, "--no-auth-warning", "ping"]);
                Assert.DoesNotContain("PONG", plaintext, StringComparison.Ordinal);
            }
            finally
            {
                server.Kill();
                await server.WaitForExitAsync();
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static async Task<string> EventuallyPingAsync(string[] args)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            var output = await RunAsync("redis-cli", args);
            if (output.Contains("PONG", StringComparison.Ordinal) || DateTime.UtcNow > deadline)
            {
                return output.Trim();
            }

            await Task.Delay(100);
        }
    }

    private static async Task<string> RunAsync(string file, IEnumerable<string> args)
    {
        using var process = Start(file, args);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var error = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        return await output + await error;
    }

    private static Process Start(string file, IEnumerable<string> args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
