using System.Text.Json;
using System.Text.Json.Serialization;
using Google.Protobuf;
using Robinhood.Control;
using Robinhood.Control.Persistence;
using Robinhood.Control.Rollout;
using Robinhood.Control.Smoothing;
using Robinhood.Controller.Persistence.Stored;

namespace Robinhood.Controller.Persistence;

/// <summary>
/// The stored form of a <see cref="ServiceControllerState"/>: the protobuf <see cref="StoredState"/>
/// (<c>stored_state.proto</c>), every member exactly, about a quarter of the JSON the versions before stored (field
/// names were half of it, doubles as text the rest). Reads both: a state starting with <c>{</c> is the earlier
/// versions' JSON (a rolling upgrade restores what they wrote); a protobuf encoding never starts so.
/// </summary>
public static class StateEncoding
{
    // How the versions before wrote the state (System.Text.Json, web defaults); read only.
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter() },
    };

    public static byte[] Encode(ServiceControllerState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var stored = new StoredState
        {
            Service = state.Service,
            FormatVersion = state.FormatVersion,
            Frozen = state.Frozen,
            RolloutMode = (int)state.Rollout.Mode,
            RolloutFraction = state.Rollout.Fraction,
        };
        foreach (var e in state.Endpoints)
        {
            stored.Endpoints.Add(Encode(e));
        }

        return stored.ToByteArray();
    }

    /// <summary>A stored state, either encoding; throws (naming the service and what is wrong) when it is neither.</summary>
    public static ServiceControllerState Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > 0 && bytes[0] == (byte)'{')
        {
            return JsonSerializer.Deserialize<ServiceControllerState>(bytes, Json)
                ?? throw new InvalidDataException("stored controller state is JSON null");
        }

        var stored = StoredState.Parser.ParseFrom(bytes);
        if (!Enum.IsDefined((RolloutMode)stored.RolloutMode))
        {
            throw new InvalidDataException($"stored controller state of '{stored.Service}': rollout_mode {stored.RolloutMode} is not a RolloutMode");
        }

        return new ServiceControllerState
        {
            FormatVersion = stored.FormatVersion,
            Service = stored.Service,
            Frozen = stored.Frozen,
            Rollout = new ServiceRollout((RolloutMode)stored.RolloutMode, stored.RolloutFraction),
            Endpoints = [.. stored.Endpoints.Select(e => Decode(stored.Service, e))],
        };
    }

    private static StoredEndpoint Encode(EndpointControlState e)
    {
        var stored = new StoredEndpoint
        {
            Endpoint = e.Endpoint,
            Zone = e.Zone,
            Phase = (int)e.Phase,
            PhaseSince = e.PhaseSince.UtcTicks,
            LastReportAt = e.LastReportAt.UtcTicks,
            Raw = e.Raw,
            Controlled = e.Controlled,
            Relative = e.Relative,
            Computed = e.Computed,
            Published = e.Published,
            Integral = e.Integral,
            PreviousSignal = e.PreviousSignal,
            SignalValue = e.Signal.Value,
            SignalVariance = e.Signal.Variance,
            SignalSet = e.Signal.IsSet,
            CapacityValue = e.LogCapacity.Value,
            CapacityLast = e.LogCapacity.Last,
            CapacityBeforeLast = e.LogCapacity.BeforeLast,
            CapacityStep1 = e.LogCapacity.Step1,
            CapacityStep2 = e.LogCapacity.Step2,
            CapacitySamples = e.LogCapacity.Samples,
            CapacityGain = e.LogCapacity.Gain,
            Error = e.Error,
            Proportional = e.Proportional,
            Derivative = e.Derivative,
            FeedForward = e.FeedForward,
            WarmingSince = e.WarmingSince.UtcTicks,
            Reported = e.Reported,
            SelfRegistered = e.SelfRegistered,
            Left = e.Left,
            StaleFrom = e.StaleFrom,
            Drained = e.Drained,
            Changed = e.Changed,
            Settle = e.Settle,
        };
        if (e.PinnedWeight is { } pinned)
        {
            stored.PinnedWeight = pinned;
        }

        if (e.Pending is { } p)
        {
            stored.Pending = new StoredLoad
            {
                Endpoint = p.Endpoint,
                Zone = p.Zone,
                CpuUtilization = p.CpuUtilization,
                InFlight = p.InFlight,
                MaxInFlight = p.MaxInFlight,
                RequestsPerSecond = p.RequestsPerSecond,
            };
        }

        return stored;
    }

    private static EndpointControlState Decode(string service, StoredEndpoint e)
    {
        if (!Enum.IsDefined((EndpointPhase)e.Phase))
        {
            throw new InvalidDataException($"stored controller state of '{service}': endpoint '{e.Endpoint}' has phase {e.Phase}, not an EndpointPhase");
        }

        return new EndpointControlState
        {
            Endpoint = e.Endpoint,
            Zone = e.Zone,
            Phase = (EndpointPhase)e.Phase,
            PhaseSince = Utc(service, e.PhaseSince),
            LastReportAt = Utc(service, e.LastReportAt),
            Raw = e.Raw,
            Controlled = e.Controlled,
            Relative = e.Relative,
            Computed = e.Computed,
            Published = e.Published,
            Integral = e.Integral,
            PreviousSignal = e.PreviousSignal,
            Signal = new AdaptiveFilter { Value = e.SignalValue, Variance = e.SignalVariance, IsSet = e.SignalSet },
            LogCapacity = new TrackingFilter
            {
                Value = e.CapacityValue,
                Last = e.CapacityLast,
                BeforeLast = e.CapacityBeforeLast,
                Step1 = e.CapacityStep1,
                Step2 = e.CapacityStep2,
                Samples = e.CapacitySamples,
                Gain = e.CapacityGain,
            },
            Error = e.Error,
            Proportional = e.Proportional,
            Derivative = e.Derivative,
            FeedForward = e.FeedForward,
            WarmingSince = Utc(service, e.WarmingSince),
            Reported = e.Reported,
            SelfRegistered = e.SelfRegistered,
            Left = e.Left,
            StaleFrom = e.StaleFrom,
            Drained = e.Drained,
            PinnedWeight = e.HasPinnedWeight ? e.PinnedWeight : null,
            Changed = e.Changed,
            Settle = e.Settle,
            Pending = e.Pending is { } p
                ? new EndpointLoad(p.Endpoint, p.Zone, p.CpuUtilization, p.InFlight, p.MaxInFlight, p.RequestsPerSecond)
                : null,
        };
    }

    private static DateTimeOffset Utc(string service, long ticks) =>
        ticks >= 0 && ticks <= DateTimeOffset.MaxValue.UtcTicks
            ? new DateTimeOffset(ticks, TimeSpan.Zero)
            : throw new InvalidDataException($"stored controller state of '{service}': time {ticks} is not a count of UTC ticks");
}
