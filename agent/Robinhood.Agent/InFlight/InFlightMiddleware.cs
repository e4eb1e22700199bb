namespace Robinhood.Agent.InFlight;

/// <summary>Counts every request passing through it as in flight until the rest of the pipeline returns.</summary>
public sealed class InFlightMiddleware(RequestDelegate next, InFlightCounter counter)
{
    public async Task InvokeAsync(HttpContext context)
    {
        counter.Enter();
        try
        {
            await next(context);
        }
        finally
        {
            counter.Exit();
        }
    }
}
