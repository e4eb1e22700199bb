namespace Robinhood.Controller.Hosting;

/// <summary>Turns a Kestrel listening URL into one a peer can dial.</summary>
public static class ListenAddress
{
    private static readonly string[] Wildcards = ["0.0.0.0", "[::]", "+", "*"];

    /// <summary>http://0.0.0.0:7000 (or [::], +, *) with <paramref name="host"/> in the wildcard's place.</summary>
    public static string Dialable(string listenUrl, string host)
    {
        ArgumentNullException.ThrowIfNull(listenUrl);
        var url = listenUrl;
        foreach (var wildcard in Wildcards)
        {
            url = url.Replace("//" + wildcard + ":", "//" + host + ":", StringComparison.Ordinal);
        }

        return url.TrimEnd('/');
    }
}
