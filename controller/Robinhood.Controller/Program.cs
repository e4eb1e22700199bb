using Robinhood.Controller.Hosting;

var app = ControllerHost.Build(args);
app.Run();
