using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Robinhood.ScaleBench.Scraping;

namespace Robinhood.ScaleBench.Hosting;

/// <summary>
/// A server under test in its own process (<c>dotnet X.dll</c>) on loopback, so its CPU and memory are
/// its own: a gRPC (HTTP/2 cleartext) endpoint and an HTTP/1 endpoint for health and metrics.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;

    private ServerProcess(Process process, StreamWriter log, int grpcPort, int httpPort)
    {
        _process = process;
        _log = log;
        GrpcAddress = $"http://127.0.0.1:{grpcPort}";
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}"), Timeout = TimeSpan.FromSeconds(60) };
    }

    public string GrpcAddress { get; }

    public HttpClient Http { get; }

    public int Pid => _process.Id;

    public ProcessSample Sample() => ProcessSample.Read(_process.Id);

    /// <summary>Starts <paramref name="dll"/> with its endpoints on free loopback ports and waits for /healthz.</summary>
    public static async Task<ServerProcess> StartAsync(string dll, IEnumerable<string> args, string logPath)
    {
        var grpcPort = FreePort();
        var httpPort = FreePort();
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(Path.GetFullPath(dll))!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(dll);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.ArgumentList.Add($"--Kestrel:Endpoints:Grpc:Url=http://127.0.0.1:{grpcPort}");
        info.ArgumentList.Add("--Kestrel:Endpoints:Grpc:Protocols=Http2");
        info.ArgumentList.Add($"--Kestrel:Endpoints:Http:Url=http://127.0.0.1:{httpPort}");
        info.ArgumentList.Add("--Kestrel:Endpoints:Http:Protocols=Http1");
        info.ArgumentList.Add("--Logging:LogLevel:Default=Warning");

        var log = new StreamWriter(logPath) { AutoFlush = true };
        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start dotnet {dll}");
        process.OutputDataReceived += (_, e) => Append(log, e.Data);
        process.ErrorDataReceived += (_, e) => Append(log, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var server = new ServerProcess(process, log, grpcPort, httpPort);
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited)
            {
                await server.DisposeAsync();
                throw new InvalidOperationException($"{Path.GetFileName(dll)} exited with {process.ExitCode} at start; see {logPath}");
            }

            try
            {
                using var response = await server.Http.GetAsync(new Uri("/healthz", UriKind.Relative));
                if (response.IsSuccessStatusCode)
                {
                    return server;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            if (deadline.Elapsed > TimeSpan.FromSeconds(60))
            {
                await server.DisposeAsync();
                throw new TimeoutException($"{Path.GetFileName(dll)} did not answer /healthz within 60 s; see {logPath}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>The series the benchmark reads from the server's /metrics.</summary>
    public async Task<PrometheusText> ScrapeAsync()
    {
        await using var exposition = await Http.GetStreamAsync(new Uri("/metrics", UriKind.Relative));
        return await PrometheusText.ReadAsync(exposition);
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        lock (_log)
        {
            _log.Dispose();
        }
    }

    private static void Append(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            if (log.BaseStream.CanWrite)
            {
                log.WriteLine(line);
            }
        }
    }
}
