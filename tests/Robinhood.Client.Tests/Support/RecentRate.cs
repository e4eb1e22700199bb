using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Robinhood.Client.Tests.Support;

/// <summary>Events in the last second, for backends whose agents report the rate they serve at.</summary>
public sealed class RecentRate
{
    private readonly ConcurrentQueue<long> _recent = new();

    public void Record() => _recent.Enqueue(Environment.TickCount64);

    /// <summary>Events in the last second.</summary>
    public double PerSecond()
    {
        var now = Environment.TickCount64;
        while (_recent.TryPeek(out var at) && now - at > 1000)
        {
            _recent.TryDequeue(out _);
        }

        return _recent.Count;
    }

    /// <summary>A loopback port free now, for a server that must come back on the same port.</summary>
    public static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
