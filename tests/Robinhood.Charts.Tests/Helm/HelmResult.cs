namespace Robinhood.Charts.Tests.Helm;

/// <summary>What one helm command printed and how it exited.</summary>
public sealed record HelmResult(int ExitCode, string Output, string Error)
{
    public override string ToString() => $"exit {ExitCode}\n{Error}\n{Output}";
}
