using System.Globalization;

namespace Robinhood.Control;

/// <summary>The range a numeric control option accepts, written once: validation and the Helm chart's schema agree with it.</summary>
/// <param name="Key">The option's name (configuration key under <c>Robinhood:Control</c>).</param>
/// <param name="Read">Reads the option's value.</param>
public sealed record OptionBound(string Key, Func<ControlOptions, double> Read, double Min, bool MinExclusive, double Max, bool MaxExclusive)
{
    /// <summary>The rule as a validation message says it, e.g. "must be a finite number in [0, 0.6]".</summary>
    public string Rule => string.Create(
        CultureInfo.InvariantCulture,
        $"must be a finite number in {(MinExclusive ? '(' : '[')}{Min}, {Max}{(MaxExclusive ? ')' : ']')}");

    public bool Accepts(double value) =>
        double.IsFinite(value) &&
        (MinExclusive ? value > Min : value >= Min) &&
        (MaxExclusive ? value < Max : value <= Max);
}
