namespace Robinhood.Controller.Leadership;

/// <summary>
/// Where a shard's owner is, as its Lease says: its gRPC address (reports are forwarded there) and its Http address
/// (admin calls are forwarded there); the Http address is null when the owner advertises none (an older replica).
/// </summary>
public sealed record ShardOwner(string GrpcAddress, string? HttpAddress);
