using System.Text.Json;
using Ocirun.Runtime.Cgroups;
using Ocirun.Runtime.Linux;

namespace Ocirun.Cli.Commands;

/// <summary>`events`: one stats snapshot with --stats, else a stream of stats and OOM events.</summary>
public sealed class EventsCommand : ICommand
{
    public string Name => "events";
    public string Usage => "display container events such as OOM notifications, cpu, memory, and IO usage statistics";
    public OptSpec[] Options => [new("stats", OptKind.Bool), new("interval", OptKind.Value)];

    public int Run(CommandContext ctx, ParsedArgs args)
    {
        var id = CommandContext.RequireId(args, Name);
        var record = ctx.Containers.Load(id);
        if (ctx.Containers.StatusOf(record) == Runtime.State.ContainerStatus.Stopped)
        {
            throw new Runtime.ContainerException($"container with id {id} is not running");
        }
        var cgroups = CgroupDriver.For(record.CgroupPaths);
        if (args.Flag("stats"))
        {
            Print(new ContainerEvent { Type = "stats", Id = id, Data = cgroups.ReadStats() });
            return 0;
        }
        var interval = ParseInterval(args.Get("interval") ?? "5s");
        var nextStats = DateTime.UtcNow;
        ulong ooms = cgroups.OomKills();
        while (ctx.Containers.StatusOf(record) != Runtime.State.ContainerStatus.Stopped)
        {
            var now = cgroups.OomKills();
            if (now > ooms)
            {
                Print(new ContainerEvent { Type = "oom", Id = id });
                ooms = now;
            }
            if (DateTime.UtcNow >= nextStats)
            {
                Print(new ContainerEvent { Type = "stats", Id = id, Data = cgroups.ReadStats() });
                nextStats = DateTime.UtcNow + interval;
            }
            Thread.Sleep(100);
        }
        // A kill by the OOM killer may be noticed only once the container is gone.
        if (cgroups.OomKills() > ooms)
        {
            Print(new ContainerEvent { Type = "oom", Id = id });
        }
        return 0;
    }

    private static void Print(ContainerEvent e)
    {
        StdStreams.Out(JsonSerializer.Serialize(e, EventsJsonContext.Default.ContainerEvent) + "\n");
    }

    /// <summary>Go durations as runc takes them: 5s, 100ms, 1m.</summary>
    public static TimeSpan ParseInterval(string v)
    {
        var units = new (string Suffix, double Ms)[] { ("ms", 1), ("s", 1000), ("m", 60000), ("h", 3600000) };
        foreach (var (suffix, ms) in units)
        {
            if (v.EndsWith(suffix, StringComparison.Ordinal) && double.TryParse(v[..^suffix.Length],
                System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var n))
            {
                // A duration, but none to wait: runc's own check, after the flag's.
                return n > 0 ? TimeSpan.FromMilliseconds(n * ms) : throw new Runtime.ContainerException("duration interval must be greater than 0");
            }
        }
        throw new UsageException($"invalid duration \"{v}\" for flag -interval");
    }
}
