using Robinhood.Control.Persistence;
using Robinhood.V1;

namespace Robinhood.Controller.Persistence;

/// <summary>What Redis holds for one service: its latest snapshot and its controller state (either may be missing).</summary>
public sealed record StoredService(string Service, WeightSnapshot? Snapshot, ServiceControllerState? State);
