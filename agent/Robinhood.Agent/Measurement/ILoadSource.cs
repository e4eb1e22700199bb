using Robinhood.V1;

namespace Robinhood.Agent.Measurement;

/// <summary>Measures every endpoint this agent reports, now. The reporter stamps the sequence.</summary>
public interface ILoadSource
{
    /// <summary>One report per endpoint that could be measured; an endpoint that could not is left out this time.</summary>
    ValueTask<IReadOnlyList<LoadReport>> MeasureAsync(CancellationToken cancellationToken);
}
