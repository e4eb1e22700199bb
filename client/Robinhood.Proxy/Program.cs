using Robinhood.Proxy;

// Kestrel drains in-flight requests on SIGTERM (HostOptions.ShutdownTimeout) before the process exits.
await ProxyApp.Build(args).RunAsync();
