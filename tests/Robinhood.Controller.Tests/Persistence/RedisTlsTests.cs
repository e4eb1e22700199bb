using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Robinhood.Controller.Hosting;
using Robinhood.Controller.Persistence;
using Robinhood.Controller.Tests.Hosting;
using StackExchange.Redis;

namespace Robinhood.Controller.Tests.Persistence;

/// <summary>
/// The controller on a real <c>redis-server --tls-port</c> (no plaintext port) whose certificate a CA made for the
/// test signed: with <c>Robinhood:Redis:CaFile</c> its state goes there and back; without it the certificate is refused.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class RedisTlsTests : IAsyncLifetime
{
    private const string Password = "tls-test-password";
    private readonly string _dir = Directory.CreateTempSubdirectory("robinhood-redis-tls-").FullName;
    private Process _redis = null!;
    private int _port;

    private string CaFile => Path.Combine(_dir, "ca.crt");

    /// <summary>The connection string as the chart renders it: TLS, by the host name the certificate names, with the password.</summary>
    private string ConnectionString => $"localhost:{_port},ssl=true,password={Password},abortConnect=false,connectTimeout=1000,syncTimeout=2000,asyncTimeout=2000";

    public async Task InitializeAsync()
    {
        WriteCertificates(_dir);
        _port = RedisServer.FreePort();
        var probe = ConfigurationOptions.Parse(ConnectionString);
        probe.TrustIssuer(CaFile);
        _redis = await RedisServer.StartProcessAsync(_port, probe,
            "--port", "0",
            "--tls-port", _port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--tls-cert-file", Path.Combine(_dir, "redis.crt"),
            "--tls-key-file", Path.Combine(_dir, "redis.key"),
            "--tls-ca-cert-file", CaFile,
            "--tls-auth-clients", "no",
            "--requirepass", Password);
    }

    public async Task DisposeAsync()
    {
        _redis.Kill();
        await _redis.WaitForExitAsync();
        _redis.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task TlsRedis_WithTheCaFile_StateWrittenAndLoadedBack()
    {
        var time = new FakeTimeProvider();
        await using var controller = await RedisStateTests.StartAsync(ConnectionString, time, $"--Robinhood:Redis:CaFile={CaFile}");
        var fleet = new ModelledService("checkout", 4, seed: 3);
        using var stream = new ReportStream(controller.Reporter);

        var last = await RedisStateTests.RunAsync(controller, time, fleet, stream, ticks: 5);
        var stored = await RedisStateTests.StoredAsync(controller, last.Version);

        Assert.Equal(last, stored.Snapshot);
    }

    [Fact]
    public async Task TlsRedis_WithoutTheCaFile_ServerCertificateRefusedAndNothingStored()
    {
        var time = new FakeTimeProvider();
        await using var controller = await RedisStateTests.StartAsync(ConnectionString, time);
        var fleet = new ModelledService("checkout", 4, seed: 3);
        using var stream = new ReportStream(controller.Reporter);
        await RedisStateTests.RunAsync(controller, time, fleet, stream, ticks: 3);

        var store = controller.App.Services.GetRequiredService<StateStore>();
        await Assert.ThrowsAsync<RedisConnectionException>(() => store.LoadAsync());
        var trusted = ConfigurationOptions.Parse(ConnectionString);
        trusted.TrustIssuer(CaFile);
        await using var reader = await ConnectionMultiplexer.ConnectAsync(trusted);
        Assert.Empty(await reader.GetServer(trusted.EndPoints[0]).KeysAsync(pattern: "robinhood:*").ToListAsync());
    }

    [Fact]
    public void CaFileMissing_StartRefusedNamingTheKey()
    {
        var missing = Path.Combine(_dir, "nope.crt");

        var e = Assert.ThrowsAny<Exception>(() => ControllerHost.Build([$"--ConnectionStrings:Redis={ConnectionString}", $"--Robinhood:Redis:CaFile={missing}"]).Services
            .GetRequiredService<Microsoft.Extensions.Options.IOptions<RedisOptions>>().Value);

        Assert.Contains($"Robinhood:Redis:CaFile must name a readable PEM file (no file at '{missing}')", e.Message, StringComparison.Ordinal);
    }

    /// <summary>A CA, and a certificate it signs for localhost and 127.0.0.1, as PEM files redis-server reads.</summary>
    private static void WriteCertificates(string dir)
    {
        var now = DateTimeOffset.UtcNow;
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=robinhood-test-ca", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var ca = caRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));

        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var server = request.Create(ca, now.AddMinutes(-5), now.AddHours(23), [1, 2, 3, 4]);

        File.WriteAllText(Path.Combine(dir, "ca.crt"), ca.ExportCertificatePem());
        File.WriteAllText(Path.Combine(dir, "redis.crt"), server.ExportCertificatePem());
        File.WriteAllText(Path.Combine(dir, "redis.key"), key.ExportPkcs8PrivateKeyPem());
    }
}
