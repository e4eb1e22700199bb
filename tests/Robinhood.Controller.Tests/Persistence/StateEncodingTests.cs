using System.Text.Json;
using System.Text.Json.Serialization;
using Google.Protobuf;
using Robinhood.Control;
using Robinhood.Control.Persistence;
using Robinhood.Control.Rollout;
using Robinhood.Control.Smoothing;
using Robinhood.Controller.Persistence;
using Robinhood.Controller.Persistence.Stored;

namespace Robinhood.Controller.Tests.Persistence;

public sealed class StateEncodingTests
{
    // How the versions before this encoding wrote the state, copied as they released it (StateStore's options).
    internal static readonly JsonSerializerOptions EarlierJson = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter() },
    };

    private static readonly DateTimeOffset At = new(2026, 12, 1, 19, 48, 21, 123, TimeSpan.Zero);

    /// <summary>A state with every member of both records away from its default, each a different value.</summary>
    private static ServiceControllerState Everything() => new()
    {
        Service = "checkout",
        Frozen = true,
        Rollout = new ServiceRollout(RolloutMode.Blend, 0.25),
        Endpoints =
        [
            new EndpointControlState
            {
                Endpoint = "10.1.0.1:8080",
                Zone = "zone-a",
                Phase = EndpointPhase.Stale,
                SelfRegistered = true,
                Left = true,
                Reported = true,
                PhaseSince = At,
                WarmingSince = At.AddSeconds(-30),
                LastReportAt = At.AddTicks(-1234567),
                Raw = 1.5277881168520995,
                Controlled = 1.4174692355721876,
                Relative = 1.2,
                StaleFrom = 0.9,
                Computed = 1417,
                Published = 1300,
                Drained = true,
                PinnedWeight = 777,
                Integral = 0.005889333038648125,
                PreviousSignal = 0.6029599798946469,
                Signal = new AdaptiveFilter { Value = 0.6029542069330074, Variance = 1.2629789599552419E-06, IsSet = true },
                LogCapacity = new TrackingFilter { Value = 5.8, Last = 5.7, BeforeLast = 5.6, Step1 = 6.7E-05, Step2 = 1.2E-05, Samples = 30, Gain = 0.35 },
                Changed = true,
                Settle = 2,
                Pending = new EndpointLoad("10.1.0.1:8080", "zone-b", 0.61, 12, 40, 88.5),
                Error = -0.0006172267372031321,
                Proportional = -9.258401058046982E-05,
                Derivative = 1E-07,
                FeedForward = 0.4180242651194961,
            },
            new EndpointControlState { Endpoint = "10.1.0.2:8080" },
        ],
    };

    [Fact]
    public void Encode_EveryMemberSet_DecodesEqual()
    {
        var state = Everything();

        var decoded = StateEncoding.Decode(StateEncoding.Encode(state));

        Assert.Equal(state with { Endpoints = [] }, decoded with { Endpoints = [] });
        Assert.Equal(state.Endpoints, decoded.Endpoints);
    }

    [Fact]
    public void Everything_SetsEveryMember_SoAMemberAddedLaterFailsTheRoundTripUntilEncoded()
    {
        var endpoint = Everything().Endpoints[0];
        var fresh = new EndpointControlState { Endpoint = "" };
        var unset = typeof(EndpointControlState).GetProperties()
            .Where(p => p.CanWrite && Equals(p.GetValue(endpoint), p.GetValue(fresh)))
            .Select(p => p.Name)
            .Concat(typeof(ServiceControllerState).GetProperties()
                .Where(p => p.Name != nameof(ServiceControllerState.FormatVersion) && Equals(p.GetValue(Everything()), p.GetValue(new ServiceControllerState())))
                .Select(p => p.Name));

        Assert.Empty(unset);
    }

    [Fact]
    public void Encode_AnyState_NeverStartsAsJson()
    {
        Assert.Equal(0x0A, StateEncoding.Encode(Everything())[0]);
        Assert.Equal(0x0A, StateEncoding.Encode(new ServiceControllerState { Service = "s" })[0]);
    }

    [Fact]
    public void Decode_JsonOfEarlierVersions_DecodesEqual()
    {
        var state = Everything();

        var decoded = StateEncoding.Decode(JsonSerializer.SerializeToUtf8Bytes(state, EarlierJson));

        Assert.Equal(state with { Endpoints = [] }, decoded with { Endpoints = [] });
        Assert.Equal(state.Endpoints, decoded.Endpoints);
    }

    [Fact]
    public void Decode_UnknownPhase_RefusedNamingServiceAndEndpoint()
    {
        var stored = new StoredState { Service = "checkout", FormatVersion = 1, Endpoints = { new StoredEndpoint { Endpoint = "10.1.0.1:8080", Phase = 9 } } };

        var e = Assert.Throws<InvalidDataException>(() => StateEncoding.Decode(stored.ToByteArray()));

        Assert.Contains("'checkout'", e.Message, StringComparison.Ordinal);
        Assert.Contains("'10.1.0.1:8080'", e.Message, StringComparison.Ordinal);
        Assert.Contains("phase 9", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_NeitherEncoding_Refused()
    {
        Assert.ThrowsAny<JsonException>(() => StateEncoding.Decode("{not json"u8));
        Assert.Throws<InvalidProtocolBufferException>(() => StateEncoding.Decode([0x0A, 0x7F, 0x01]));
    }
}
