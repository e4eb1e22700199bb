namespace Robinhood.Control.Rollout;

/// <summary>How much of the controller's weights a service publishes (operators introduce control gently).</summary>
public enum RolloutMode
{
    /// <summary>Publish the controlled weights.</summary>
    Active,

    /// <summary>Compute and expose the controlled weights, publish equal ones.</summary>
    Shadow,

    /// <summary>Publish fraction × controlled + (1 − fraction) × equal.</summary>
    Blend,
}
