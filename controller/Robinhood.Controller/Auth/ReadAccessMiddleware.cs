namespace Robinhood.Controller.Auth;

/// <summary>
/// Guards the dashboard API (<c>/api/*</c>) and <c>/metrics</c> with <see cref="ReadAccess"/>: without the read
/// token, 401 problem+json with <c>WWW-Authenticate: Bearer</c>. The page, <c>/healthz</c> and <c>/readyz</c> stay open.
/// </summary>
public static class ReadAccessMiddleware
{
    public static void UseReadAccess(this IApplicationBuilder app)
    {
        var access = app.ApplicationServices.GetRequiredService<ReadAccess>();
        if (!access.Required)
        {
            return;
        }

        app.Use(async (http, next) =>
        {
            var path = http.Request.Path;
            ReadApi? api = path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase) ? ReadApi.Dashboard
                : path.StartsWithSegments("/metrics", StringComparison.OrdinalIgnoreCase) ? ReadApi.Metrics
                : null;
            if (api is { } read && access.Refuse(http.Request.Headers.Authorization.ToString() is { Length: > 0 } header ? header : null, read, http.Connection.RemoteIpAddress?.ToString() ?? "") is { } why)
            {
                http.Response.Headers.WWWAuthenticate = "Bearer";
                await Results.Problem(why, statusCode: StatusCodes.Status401Unauthorized).ExecuteAsync(http).ConfigureAwait(false);
                return;
            }

            await next(http).ConfigureAwait(false);
        });
    }
}
