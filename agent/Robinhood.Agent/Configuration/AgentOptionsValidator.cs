using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Robinhood.V1;

namespace Robinhood.Agent.Configuration;

/// <summary>Refuses agent settings the controller would refuse, naming the configuration key and the rule.</summary>
public sealed partial class AgentOptionsValidator : IValidateOptions<AgentOptions>
{
    private const string Prefix = AgentOptions.SectionName + ":";

    public ValidateOptionsResult Validate(string? name, AgentOptions options)
    {
        var failures = new List<string>();

        if (!Enum.IsDefined(options.Mode))
        {
            failures.Add($"{Prefix}{nameof(AgentOptions.Mode)} '{options.Mode}' must be Sidecar or Node.");
        }
        else if (options.Mode == AgentMode.Node)
        {
            ValidateNode(failures, options);
        }
        else
        {
            ValidateSidecar(failures, options);
        }

        if (!Uri.TryCreate(options.Controller, UriKind.Absolute, out var controller) || !IsHttp(controller))
        {
            failures.Add($"{AgentOptions.ControllerKey} '{options.Controller}' must be an absolute http:// or https:// URL.");
        }

        if (options.InFlightUrl is { } url && (!url.IsAbsoluteUri || !IsHttp(url)))
        {
            failures.Add($"{Prefix}{nameof(AgentOptions.InFlightUrl)} '{url}' must be an absolute http:// or https:// URL.");
        }

        if (options.TokenFile is { Length: > 0 } tokenFile && !File.Exists(tokenFile))
        {
            failures.Add($"{Prefix}{nameof(AgentOptions.TokenFile)} '{tokenFile}' does not exist.");
        }

        if (options.ApplicationProcess is { } process && (process.Length is 0 or > 15 || process.Contains('/', StringComparison.Ordinal)))
        {
            failures.Add($"{Prefix}{nameof(AgentOptions.ApplicationProcess)} '{process}' must be a process name of 1..15 characters without '/' (the kernel's /proc/<pid>/comm).");
        }

        RequirePositive(failures, nameof(AgentOptions.ReportInterval), options.ReportInterval);
        RequirePositive(failures, nameof(AgentOptions.AckTimeout), options.AckTimeout);
        RequirePositive(failures, nameof(AgentOptions.ReconnectInitialDelay), options.ReconnectInitialDelay);
        if (options.ReconnectMaxDelay < options.ReconnectInitialDelay)
        {
            failures.Add($"{Prefix}{nameof(AgentOptions.ReconnectMaxDelay)} must not be below {Prefix}{nameof(AgentOptions.ReconnectInitialDelay)}.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void ValidateSidecar(List<string> failures, AgentOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.Service))
        {
            failures.Add($"{Prefix}{nameof(AgentOptions.Service)} is required: the service this endpoint belongs to.");
        }
        else if (ServiceName.Check(options.Service, Prefix + nameof(AgentOptions.Service)) is { } refusal)
        {
            failures.Add(refusal.Message + ".");
        }

        if (string.IsNullOrWhiteSpace(options.Endpoint))
        {
            failures.Add($"{Prefix}{nameof(AgentOptions.Endpoint)} is required: this endpoint's host:port, as clients dial it.");
        }
        else if (!EndpointAddress.TryParse(options.Endpoint, out _, out var refusal, Prefix + nameof(AgentOptions.Endpoint)))
        {
            failures.Add(refusal.Message + ".");
        }
    }

    // Service and Endpoint come from each pod (its label value, its IP and port), so they are not asked for here.
    private static void ValidateNode(List<string> failures, AgentOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.NodeName))
        {
            failures.Add($"{Prefix}{nameof(AgentOptions.NodeName)} is required in Node mode: the node whose pods are measured.");
        }

        if (!LabelKeyPattern().IsMatch(options.ServiceLabel))
        {
            failures.Add($"{Prefix}{nameof(AgentOptions.ServiceLabel)} '{options.ServiceLabel}' must be a Kubernetes label key ([prefix/]name).");
        }

        if (options.KubernetesHost is { Length: > 0 } host && (!Uri.TryCreate(host, UriKind.Absolute, out var uri) || !IsHttp(uri)))
        {
            failures.Add($"{Prefix}{nameof(AgentOptions.KubernetesHost)} '{host}' must be an absolute http:// or https:// URL.");
        }
    }

    private static void RequirePositive(List<string> failures, string key, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            failures.Add($"{Prefix}{key} must be above zero.");
        }
    }

    private static bool IsHttp(Uri uri) => uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps;

    [GeneratedRegex("^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")]
    private static partial Regex LabelKeyPattern();
}
