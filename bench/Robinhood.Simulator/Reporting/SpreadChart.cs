using System.Text;
using static System.FormattableString;
using Robinhood.Simulator.Scenarios;
using Robinhood.Simulator.Simulation;

namespace Robinhood.Simulator.Reporting;

/// <summary>An SVG line chart of max/avg utilization per tick, one line per strategy, for one scenario.</summary>
public static class SpreadChart
{
    private const int Width = 900;
    private const int Height = 420;
    private const int Left = 60;
    private const int Right = 190;
    private const int Top = 40;
    private const int Bottom = 45;
    private const double Floor = 1.0;
    private const double Ceiling = 2.0;

    private static readonly string[] Colors = ["#8c564b", "#7f7f7f", "#bcbd22", "#1f77b4", "#ff7f0e", "#2ca02c"];

    public static string Render(Scenario scenario, IReadOnlyList<RunResult> runs)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(runs);
        var plotWidth = Width - Left - Right;
        var plotHeight = Height - Top - Bottom;
        var top = Math.Min(Ceiling, Math.Max(1.2, runs.Max(r => r.Spread.Skip(scenario.WindowStart).Max())));
        var ticks = scenario.Ticks;
        double X(double t) => Left + (plotWidth * t / (ticks - 1));
        double Y(double v) => Top + (plotHeight * (1 - ((Math.Clamp(v, Floor, top) - Floor) / (top - Floor))));

        var svg = new StringBuilder();
        svg.Append(Invariant($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" font-family=\"sans-serif\" font-size=\"12\">\n"));
        svg.Append(Invariant($"<rect width=\"{Width}\" height=\"{Height}\" fill=\"white\"/>\n"));
        svg.Append(Invariant($"<text x=\"{Left}\" y=\"22\" font-size=\"15\">{Escape(scenario.Name)}: max/avg CPU utilization per tick (clipped at {top:0.00})</text>\n"));
        for (var i = 0; i <= 5; i++)
        {
            var v = Floor + ((top - Floor) * i / 5);
            svg.Append(Invariant($"<line x1=\"{Left}\" y1=\"{Y(v):0.#}\" x2=\"{Left + plotWidth}\" y2=\"{Y(v):0.#}\" stroke=\"#ddd\"/>"));
            svg.Append(Invariant($"<text x=\"{Left - 6}\" y=\"{Y(v) + 4:0.#}\" text-anchor=\"end\">{v:0.00}</text>\n"));
        }

        for (var t = 0; t < ticks; t += 30)
        {
            svg.Append(Invariant($"<text x=\"{X(t):0.#}\" y=\"{Top + plotHeight + 18}\" text-anchor=\"middle\">{t}</text>"));
        }

        svg.Append(Invariant($"<text x=\"{Left + (plotWidth / 2)}\" y=\"{Height - 8}\" text-anchor=\"middle\">tick (s)</text>\n"));
        svg.Append(Invariant($"<rect x=\"{Left}\" y=\"{Top}\" width=\"{plotWidth}\" height=\"{plotHeight}\" fill=\"none\" stroke=\"#333\"/>\n"));
        if (scenario.EventTick > 0)
        {
            svg.Append(Invariant($"<line x1=\"{X(scenario.EventTick):0.#}\" y1=\"{Top}\" x2=\"{X(scenario.EventTick):0.#}\" y2=\"{Top + plotHeight}\" stroke=\"#d62728\" stroke-dasharray=\"4 3\"/>\n"));
        }

        for (var r = 0; r < runs.Count; r++)
        {
            var color = Colors[r % Colors.Length];
            var points = string.Join(' ', runs[r].Spread.Select((v, t) => Invariant($"{X(t):0.#},{Y(v):0.#}")));
            svg.Append(Invariant($"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"1.6\" points=\"{points}\"/>\n"));
            var ly = Top + 10 + (r * 20);
            svg.Append(Invariant($"<line x1=\"{Width - Right + 15}\" y1=\"{ly}\" x2=\"{Width - Right + 40}\" y2=\"{ly}\" stroke=\"{color}\" stroke-width=\"3\"/>"));
            svg.Append(Invariant($"<text x=\"{Width - Right + 46}\" y=\"{ly + 4}\">{Escape(runs[r].Metrics.Strategy)} {runs[r].Metrics.MaxAvg:0.000}</text>\n"));
        }

        svg.Append("</svg>\n");
        return svg.ToString();
    }

    private static string Escape(string s) => s.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal);
}
