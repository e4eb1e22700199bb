using Robinhood.Simulator.Cli;

return SimulatorCli.Run(args, Console.Out, Console.Error);
