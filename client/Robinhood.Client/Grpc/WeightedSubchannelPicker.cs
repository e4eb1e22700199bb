using Grpc.Core;
using Grpc.Net.Client.Balancer;
using Robinhood.Client.Picking;
using Robinhood.Client.Subscription;

namespace Robinhood.Client.Grpc;

/// <summary>
/// Picks among READY subchannels by weight; without a service the results are built once, so a pick allocates nothing.
/// With the service's <see cref="ServiceWeights"/> each pick is a <see cref="GrpcAttempt"/> on the request (its outcome
/// reported for ejection) and retries are budgeted: an attempt a retry policy repeats (it carries
/// <c>grpc-previous-rpc-attempts</c>) takes a retry from the budget, or is dropped when the budget is spent, and goes to
/// an endpoint whose last call did not fail when there is one (drawn by weight among those).
/// </summary>
internal sealed class WeightedSubchannelPicker : SubchannelPicker
{
    private const string PreviousAttemptsHeader = "grpc-previous-rpc-attempts";

    private readonly WeightedRoundRobin<Choice> _choices;
    private readonly ServiceWeights? _service;
    private readonly PickResult? _budgetSpent;
    private readonly Random _random;

    public WeightedSubchannelPicker(IReadOnlyList<Subchannel> subchannels, ReadOnlySpan<uint> weights, Random random, ServiceWeights? service = null, IReadOnlyList<string>? endpoints = null)
    {
        _service = service;
        _random = random;
        var choices = new Choice[subchannels.Count];
        for (var i = 0; i < choices.Length; i++)
        {
            choices[i] = new Choice(PickResult.ForSubchannel(subchannels[i]), subchannels[i], endpoints?[i] ?? "", weights[i]);
        }

        if (service is not null)
        {
            _budgetSpent = PickResult.ForDrop(new Status(
                StatusCode.Unavailable,
                $"Retry budget of service '{service.Service}' is spent (Robinhood:Retry:BudgetPercent); the previous attempt failed."));
        }

        lock (random)
        {
            _choices = new WeightedRoundRobin<Choice>(choices, weights, random);
        }
    }

    public override PickResult Pick(PickContext context)
    {
        var choice = _choices.Pick();
        var service = _service;
        if (service is null)
        {
            return choice.Result;
        }

        if (context?.Request?.Headers.Contains(PreviousAttemptsHeader) != true)
        {
            service.RecordRequest();
            return Attempt(choice, context);
        }

        if (!service.TryRetry())
        {
            return _budgetSpent!;
        }

        // With every endpoint failing, the retry goes wherever the cycle is.
        if (service.IsFailing(choice.Endpoint)
            && WeightedDraw.TryDraw(_choices.Items, c => c.Weight, c => !service.IsFailing(c.Endpoint), _random, out var other))
        {
            choice = other;
        }

        return Attempt(choice, context);
    }

    private PickResult Attempt(Choice choice, PickContext? context)
    {
        var attempt = new GrpcAttempt(_service!, choice.Endpoint);
        context?.Request?.Options.Set(GrpcAttempt.Key, attempt);
        return PickResult.ForSubchannel(choice.Subchannel, attempt);
    }

    private sealed record Choice(PickResult Result, Subchannel Subchannel, string Endpoint, uint Weight);
}
