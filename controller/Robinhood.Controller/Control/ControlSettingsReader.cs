using System.Reflection;
using Robinhood.Control;

namespace Robinhood.Controller.Control;

/// <summary>
/// Reads <see cref="ControlSettings"/> from configuration. Per-service sections
/// (<c>Robinhood:Control:Services:&lt;name&gt;</c>) override the defaults key by key.
/// </summary>
public static class ControlSettingsReader
{
    private static readonly HashSet<string> OptionKeys = typeof(ControlOptions)
        .GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(p => p.CanWrite)
        .Select(p => p.Name)
        .ToHashSet(StringComparer.OrdinalIgnoreCase);

    /// <summary>Returns the settings, or the reasons they are invalid (each names the key and the rule).</summary>
    public static (ControlSettings? Settings, IReadOnlyList<string> Errors) Read(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(ControlSettings.Section);
        var errors = new List<string>();

        var interval = ReadTimeSpan(section, "Interval", TimeSpan.FromSeconds(1), errors);
        if (interval < TimeSpan.FromMilliseconds(10) || interval > TimeSpan.FromMinutes(5))
        {
            errors.Add($"{ControlSettings.Section}:Interval must be between 00:00:00.010 and 00:05:00 (got {interval})");
        }

        var grace = ReadTimeSpan(section, "StartupGrace", interval * 3, errors);
        if (grace < TimeSpan.Zero)
        {
            errors.Add($"{ControlSettings.Section}:StartupGrace must not be negative (got {grace})");
        }

        CheckKeys(section, ControlSettings.Section, ["Interval", "StartupGrace", "Services"], errors);
        var defaults = Bind(section, null, ControlSettings.Section, errors);

        var services = new Dictionary<string, ControlOptions>(StringComparer.Ordinal);
        foreach (var service in section.GetSection("Services").GetChildren())
        {
            var prefix = $"{ControlSettings.Section}:Services:{service.Key}";
            CheckKeys(service, prefix, [], errors);
            services[service.Key] = Bind(section, service, prefix, errors);
        }

        return errors.Count == 0
            ? (new ControlSettings(interval, grace, defaults, services), errors)
            : (null, errors);
    }

    private static ControlOptions Bind(IConfigurationSection defaults, IConfigurationSection? service, string prefix, List<string> errors)
    {
        var options = new ControlOptions();
        try
        {
            defaults.Bind(options);
            service?.Bind(options);
        }
        catch (InvalidOperationException e)
        {
            // The binder's message names the key and the target type.
            errors.Add(e.Message);
            return options;
        }

        errors.AddRange(options.Validate(prefix));
        return options;
    }

    private static void CheckKeys(IConfigurationSection section, string prefix, string[] extra, List<string> errors)
    {
        foreach (var child in section.GetChildren())
        {
            if (!OptionKeys.Contains(child.Key) && !extra.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
            {
                errors.Add($"{prefix}:{child.Key} is not a known setting");
            }
        }
    }

    private static TimeSpan ReadTimeSpan(IConfigurationSection section, string key, TimeSpan fallback, List<string> errors)
    {
        var raw = section[key];
        if (raw is null)
        {
            return fallback;
        }

        if (TimeSpan.TryParse(raw, System.Globalization.CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }

        errors.Add($"{ControlSettings.Section}:{key} must be a time span like 00:00:01 (got \"{raw}\")");
        return fallback;
    }
}
