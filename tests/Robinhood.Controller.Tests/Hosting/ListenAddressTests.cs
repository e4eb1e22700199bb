using Robinhood.Controller.Hosting;

namespace Robinhood.Controller.Tests.Hosting;

public sealed class ListenAddressTests
{
    [Theory]
    [InlineData("http://0.0.0.0:7000", "http://10.1.2.3:7000")]
    [InlineData("http://[::]:7000/", "http://10.1.2.3:7000")]
    [InlineData("http://*:7000", "http://10.1.2.3:7000")]
    [InlineData("http://+:7000", "http://10.1.2.3:7000")]
    [InlineData("http://127.0.0.1:7000", "http://127.0.0.1:7000")]
    public void Dialable_WildcardHost_ReplacedAndConcreteHostKept(string listen, string expected) =>
        Assert.Equal(expected, ListenAddress.Dialable(listen, "10.1.2.3"));
}
