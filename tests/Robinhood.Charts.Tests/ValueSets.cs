namespace Robinhood.Charts.Tests;

/// <summary>The value sets the chart must install with; null is the chart's own defaults.</summary>
public static class ValueSets
{
    public const string CrossNamespace = "cross-namespace.yaml";
    public const string ExternalRedis = "external-redis.yaml";
    public const string MinimalNoAgent = "minimal-no-agent.yaml";
    public const string Production = "production.yaml";
    public const string ReadAccessExisting = "read-access-existing.yaml";
    public const string SidecarExample = "sidecar-example.yaml";
    public const string StaticToken = "static-token.yaml";

    public static TheoryData<string?> All => new() { null, CrossNamespace, ExternalRedis, MinimalNoAgent, Production, ReadAccessExisting, SidecarExample, StaticToken };
}
