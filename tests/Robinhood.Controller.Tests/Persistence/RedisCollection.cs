namespace Robinhood.Controller.Tests.Persistence;

/// <summary>Tests whose controllers use Redis run one after another: the Redis gauges are process-wide.</summary>
[CollectionDefinition(Name)]
public sealed class RedisCollection
{
    public const string Name = "Redis";
}
