namespace Robinhood.V1;

/// <summary>
/// gRPC message sizes every part of the project sets explicitly. A snapshot of a service at its default
/// endpoint limit (20,000 endpoints, each at most a 261-character endpoint and a 253-character zone)
/// is at most ~11 MB; the usual one (~50 bytes an endpoint) about 1 MB. Requests and reports are small.
/// </summary>
public static class MessageLimits
{
    /// <summary>Largest snapshot the controller sends and every client accepts (16 MiB).</summary>
    public const int MaxSnapshotBytes = 16 * 1024 * 1024;

    /// <summary>Largest request the controller reads: a report, or a Watch naming its allowed number of services (4 MiB, gRPC's usual limit, set explicitly).</summary>
    public const int MaxRequestBytes = 4 * 1024 * 1024;
}
