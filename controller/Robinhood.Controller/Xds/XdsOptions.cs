using System.ComponentModel.DataAnnotations;

namespace Robinhood.Controller.Xds;

/// <summary><c>Robinhood:Xds</c>: what one xDS stream may make the controller hold.</summary>
public sealed class XdsOptions
{
    public const string Section = "Robinhood:Xds";

    /// <summary>Resource names one stream may subscribe to, per resource type; a request over it ends the stream.</summary>
    [Range(1, 1_000_000, ErrorMessage = "Robinhood:Xds:MaxNamesPerType must be between 1 and 1000000")]
    public int MaxNamesPerType { get; set; } = 10_000;

    /// <summary>Largest xDS request accepted, in bytes (a request naming 10,000 services of 100 characters is about 1 MB).</summary>
    [Range(1024, 64 * 1024 * 1024, ErrorMessage = "Robinhood:Xds:MaxRequestBytes must be between 1024 and 67108864")]
    public int MaxRequestBytes { get; set; } = 4 * 1024 * 1024;
}
