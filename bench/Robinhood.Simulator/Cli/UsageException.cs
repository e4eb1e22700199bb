namespace Robinhood.Simulator.Cli;

/// <summary>A bad command line: the message names the argument and the rule it broke.</summary>
public sealed class UsageException(string message) : Exception(message);
