namespace Robinhood.Controller.Hosting;

/// <summary>Refusals the Http endpoint's APIs share, naming what they refuse (cut to a bounded length).</summary>
internal static class HttpProblems
{
    public static IResult UnknownService(string service) =>
        Results.Problem($"service '{Cut(service)}' is not known to this controller", statusCode: StatusCodes.Status404NotFound);

    /// <summary>A caller's value as quoted back: at most 256 characters.</summary>
    public static string Cut(string value) => value.Length <= 256 ? value : value[..256];
}
