namespace Robinhood.Client.Resilience;

/// <summary>
/// Local outlier ejection (section <c>Robinhood:OutlierDetection</c>), named after Envoy's: an endpoint whose calls fail
/// <see cref="Consecutive5xx"/> times in a row gets no requests for a while, however the controller weighs it.
/// </summary>
public sealed class OutlierDetectionOptions
{
    /// <summary>Consecutive failures (connect errors, 5xx, gRPC UNAVAILABLE or transport failures) that eject an endpoint; 0 turns ejection off.</summary>
    public int Consecutive5xx { get; set; } = 5;

    /// <summary>The first ejection's length; the n-th ejection in a row lasts n × this, up to <see cref="MaxEjectionTime"/>.</summary>
    public TimeSpan BaseEjectionTime { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The longest ejection, so a recovered endpoint takes requests again within this time.</summary>
    public TimeSpan MaxEjectionTime { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Each interval an endpoint spends back in service without being ejected again forgets one of its ejections.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>At most this share of a service's endpoints is ejected at once (at least one, never the last that may take requests).</summary>
    public int MaxEjectionPercent { get; set; } = 50;
}
