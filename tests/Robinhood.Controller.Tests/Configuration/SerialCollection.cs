namespace Robinhood.Controller.Tests.Configuration;

/// <summary>Tests that run alone, when no other test's host is alive.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialCollection
{
    public const string Name = "Serial";
}
