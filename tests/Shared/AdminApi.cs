using System.Net.Http.Headers;
using System.Net.Http.Json;

namespace Robinhood.Tests;

/// <summary>The controller's admin API as the tests call it: one token, sent as a bearer.</summary>
public static class AdminApi
{
    /// <summary>The admin token the tests start controllers with.</summary>
    public const string Token = "admin-token-for-tests-0123456789";

    /// <summary>The controller argument that sets <see cref="Token"/>.</summary>
    public const string TokenArg = "--Robinhood:Admin:Token=" + Token;

    /// <summary>A request to <c>/admin/services/{service}{path}</c> with a JSON body if given, sending <paramref name="token"/> unless it is null.</summary>
    public static HttpRequestMessage Request(HttpMethod method, string service, string path, object? body = null, string? token = Token)
    {
        var request = new HttpRequestMessage(method, $"/admin/services/{service}{path}");
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        return request;
    }
}
