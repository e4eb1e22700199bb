using System.ComponentModel.DataAnnotations;

namespace Robinhood.Controller.Ingest;

/// <summary>
/// <c>Robinhood:Limits</c>: what a caller can make the controller hold (docs/trust.md). Past a limit the
/// report or request is refused with a reason naming it. Defaults are sized for 100,000 endpoints.
/// </summary>
public sealed class LimitsOptions
{
    public const string Section = "Robinhood:Limits";

    /// <summary>Services the controller holds; a report that would create one more is refused (<c>service_limit</c>).</summary>
    [Range(1, 1_000_000)]
    public int MaxServices { get; set; } = 10_000;

    /// <summary>Endpoints per service; a report that would add one more is refused (<c>endpoint_limit</c>).</summary>
    [Range(1, 20_000)]
    public int MaxEndpointsPerService { get; set; } = 20_000;

    /// <summary>Services one Watch request may name.</summary>
    [Range(1, 10_000)]
    public int MaxWatchServices { get; set; } = 1_000;
}
