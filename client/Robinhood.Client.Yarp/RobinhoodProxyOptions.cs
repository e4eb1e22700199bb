using Microsoft.Extensions.Options;
using Robinhood.V1;

namespace Robinhood.Client.Yarp;

/// <summary>Which requests go to which service (section <c>Robinhood:Proxy</c>).</summary>
public sealed class RobinhoodProxyOptions
{
    /// <summary>The configuration section these options bind to.</summary>
    public const string SectionName = "Robinhood:Proxy";

    /// <summary>Service that receives requests no route matches (<c>Robinhood:Proxy:DefaultService</c>); unset = 404.</summary>
    public string? DefaultService { get; set; }

    /// <summary>Routes by name (<c>Robinhood:Proxy:Routes:&lt;name&gt;:Host|PathPrefix|Service</c>).</summary>
    public Dictionary<string, ProxyRoute> Routes { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Every service a route or the default names, once each.</summary>
    public IReadOnlyList<string> Services()
    {
        var services = Routes.Values.Select(r => r.Service).ToList();
        if (!string.IsNullOrEmpty(DefaultService))
        {
            services.Add(DefaultService);
        }

        return [.. services.Distinct(StringComparer.Ordinal)];
    }
}

/// <summary>Sends requests matching a Host header and/or a path prefix to a service.</summary>
public sealed class ProxyRoute
{
    /// <summary>Host header to match (e.g. <c>api.example.com</c>, <c>*.example.com</c>); unset = any host.</summary>
    public string? Host { get; set; }

    /// <summary>Path prefix to match (e.g. <c>/api</c>); unset = any path. The prefix is forwarded unchanged.</summary>
    public string? PathPrefix { get; set; }

    /// <summary>The logical service whose endpoints receive the requests.</summary>
    public string Service { get; set; } = "";
}

/// <summary>Refuses routes that could never match or name no service, naming the key and the rule.</summary>
internal sealed class RobinhoodProxyOptionsValidator : IValidateOptions<RobinhoodProxyOptions>
{
    public ValidateOptionsResult Validate(string? name, RobinhoodProxyOptions options)
    {
        var failures = new List<string>();
        if (options.DefaultService is { Length: > 0 } defaultService && ServiceName.Check(defaultService, "Robinhood:Proxy:DefaultService") is { } refusal)
        {
            failures.Add(refusal.Message + ".");
        }

        var seen = new HashSet<(string?, string?)>();
        foreach (var (key, route) in options.Routes)
        {
            var prefix = $"Robinhood:Proxy:Routes:{key}";
            if (ServiceName.Check(route.Service, $"{prefix}:Service") is { } bad)
            {
                failures.Add(bad.Message + ".");
            }

            if (string.IsNullOrEmpty(route.Host) && string.IsNullOrEmpty(route.PathPrefix))
            {
                failures.Add($"{prefix} needs a Host or a PathPrefix (use Robinhood:Proxy:DefaultService for everything else).");
            }

            if (route.PathPrefix is { Length: > 0 } path && !path.StartsWith('/'))
            {
                failures.Add($"{prefix}:PathPrefix must start with '/'.");
            }

            if (!seen.Add((route.Host?.ToUpperInvariant(), route.PathPrefix?.TrimEnd('/'))))
            {
                failures.Add($"{prefix} matches the same Host and PathPrefix as another route.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
