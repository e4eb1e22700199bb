using Robinhood.Control.Rollout;

namespace Robinhood.Controller.Admin;

/// <summary>Body of <c>PUT /admin/services/{service}/rollout</c>: the mode's name, and the fraction with Blend.</summary>
public sealed record RolloutRequest(string? Mode, double? Fraction);

/// <summary>Body of <c>PUT /admin/services/{service}/endpoints/{endpoint}/pin</c>.</summary>
public sealed record PinRequest(uint? Weight);

/// <summary>One endpoint as the admin API shows it: what the loop computed, what is published and the override.</summary>
public sealed record AdminEndpoint(string Endpoint, string State, uint Computed, uint Published, bool Drained, uint? PinnedWeight);

/// <summary>A service as the admin API shows it.</summary>
public sealed record AdminService(string Service, RolloutMode Mode, double Fraction, IReadOnlyList<AdminEndpoint> Endpoints);
