namespace Robinhood.Controller.Tests.Auth;

/// <summary>
/// Tests that make the controller refuse reads run one after another, so each can count its own refusals in the
/// process-wide <c>robinhood_controller_reads_refused_total</c>.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ReadRefusalsCollection
{
    public const string Name = "Read refusals";
}
