using Robinhood.Agent.InFlight;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Adds in-flight request counting to an ASP.NET Core pipeline.</summary>
public static class InFlightApplicationBuilderExtensions
{
    /// <summary>
    /// Counts requests in flight (and completed) for the embedded agent. Place it early, so the count covers the work the
    /// endpoint's capacity is about; needs <see cref="AgentServiceCollectionExtensions.AddRobinhoodAgent"/>.
    /// </summary>
    public static IApplicationBuilder UseRobinhoodInFlight(this IApplicationBuilder app) =>
        app.UseMiddleware<InFlightMiddleware>();
}
