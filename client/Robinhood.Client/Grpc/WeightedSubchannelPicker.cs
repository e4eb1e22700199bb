using Grpc.Core;
using Grpc.Net.Client.Balancer;
using Robinhood.Client.Picking;
using Robinhood.Client.Subscription;

namespace Robinhood.Client.Grpc;

/// <summary>
/// Picks among READY subchannels by weight; results are built once, so a pick allocates nothing. With the service's
/// <see cref="ServiceWeights"/> it reports every call's transport outcome (for ejection) and budgets retries: an
/// attempt a retry policy repeats (it carries <c>grpc-previous-rpc-attempts</c>) takes a retry from the budget, or is
/// dropped when the budget is spent, and goes to an endpoint whose last call did not fail when there is one.
/// </summary>
internal sealed class WeightedSubchannelPicker : SubchannelPicker
{
    private const string PreviousAttemptsHeader = "grpc-previous-rpc-attempts";

    private readonly WeightedRoundRobin<Choice> _choices;
    private readonly ServiceWeights? _service;
    private readonly PickResult? _budgetSpent;

    public WeightedSubchannelPicker(IReadOnlyList<Subchannel> subchannels, ReadOnlySpan<uint> weights, Random random, ServiceWeights? service = null, IReadOnlyList<string>? endpoints = null)
    {
        _service = service;
        var choices = new Choice[subchannels.Count];
        for (var i = 0; i < choices.Length; i++)
        {
            var endpoint = endpoints?[i] ?? "";
            var tracker = service is null ? null : new CallTracker(service, endpoint);
            choices[i] = new Choice(PickResult.ForSubchannel(subchannels[i], tracker), endpoint);
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
        if (_service is null)
        {
            return choice.Result;
        }

        if (context?.Request?.Headers.Contains(PreviousAttemptsHeader) != true)
        {
            _service.RecordRequest();
            return choice.Result;
        }

        if (!_service.TryRetry())
        {
            return _budgetSpent!;
        }

        // A bounded number of tries: with every endpoint failing, the retry goes wherever the cycle is.
        for (var i = 0; i < _choices.Items.Count && _service.IsFailing(choice.Endpoint); i++)
        {
            choice = _choices.Pick();
        }

        return choice.Result;
    }

    private sealed record Choice(PickResult Result, string Endpoint);

    /// <summary>Reports a call's transport outcome; a call cancelled by its caller says nothing about the endpoint.</summary>
    private sealed class CallTracker(ServiceWeights service, string endpoint) : ISubchannelCallTracker
    {
        public void Start()
        {
        }

        public void Complete(CompletionContext context)
        {
            switch (context.Error)
            {
                case null:
                    service.ReportSuccess(endpoint);
                    break;
                case OperationCanceledException:
                    break;
                default:
                    service.ReportFailure(endpoint);
                    break;
            }
        }
    }
}
