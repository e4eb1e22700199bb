namespace Robinhood.Control.Rollout;

/// <summary>A service's rollout mode; <see cref="Fraction"/> is the controlled share a Blend publishes.</summary>
public sealed record ServiceRollout(RolloutMode Mode = RolloutMode.Active, double Fraction = 1)
{
    public static ServiceRollout Active { get; } = new();

    /// <summary>Names the field and the rule when the rollout is not valid; null when it is.</summary>
    public string? Validate() =>
        !Enum.IsDefined(Mode) ? "mode must be one of Active, Shadow, Blend"
        : Mode == RolloutMode.Blend && !(double.IsFinite(Fraction) && Fraction >= 0 && Fraction <= 1) ? "fraction must be a finite number in [0, 1]"
        : null;

    /// <summary>Share of the controlled weight in what is published.</summary>
    public double ControlledShare => Mode switch
    {
        RolloutMode.Shadow => 0,
        RolloutMode.Blend => Fraction,
        _ => 1,
    };
}
