using Microsoft.Extensions.Primitives;

namespace Robinhood.Controller.Control;

/// <summary>
/// The live <see cref="ControlSettings"/>: re-read whenever configuration reloads. A bad reload is
/// refused (logged with key and rule, counted) and the last good settings stay.
/// </summary>
public sealed partial class ControlSettingsSource : IDisposable
{
    private readonly IConfiguration _configuration;
    private readonly ILogger<ControlSettingsSource> _logger;
    private readonly IDisposable _subscription;
    private volatile ControlSettings _current;

    public ControlSettingsSource(IConfiguration configuration, ILogger<ControlSettingsSource> logger)
    {
        _configuration = configuration;
        _logger = logger;
        var (settings, errors) = ControlSettingsReader.Read(configuration);
        _current = settings ?? throw new InvalidOperationException(
            "Invalid control settings: " + string.Join("; ", errors));
        _subscription = ChangeToken.OnChange(configuration.GetReloadToken, Reload);
    }

    public ControlSettings Current => _current;

    private void Reload()
    {
        var (settings, errors) = ControlSettingsReader.Read(_configuration);
        if (settings is null)
        {
            ControllerMetrics.ConfigReloads.WithLabels("refused").Inc();
            foreach (var error in errors)
            {
                LogReloadRefused(error);
            }

            return;
        }

        if (settings.Interval != _current.Interval)
        {
            LogIntervalNeedsRestart(_current.Interval, settings.Interval);
        }

        _current = settings with { Interval = _current.Interval };
        ControllerMetrics.ConfigReloads.WithLabels("applied").Inc();
        LogReloaded(settings.Services.Count);
    }

    public void Dispose() => _subscription.Dispose();

    [LoggerMessage(Level = LogLevel.Error, Message = "Control settings reload refused, keeping the last good values: {Error}")]
    private partial void LogReloadRefused(string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Control settings reloaded ({Services} per-service overrides)")]
    private partial void LogReloaded(int services);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Robinhood:Control:Interval changed from {Old} to {New}; it takes effect on restart")]
    private partial void LogIntervalNeedsRestart(TimeSpan old, TimeSpan @new);
}
