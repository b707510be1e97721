using System.Text;
using System.Text.Json;
using Ocirun.Runtime.HostCheck;
using Ocirun.Runtime.Linux;

namespace Ocirun.Cli.Commands;

/// <summary>
/// `ocirun check`: what this host can do and, feature by feature, whether ocirun works here
/// and why not. runc has no such command; "why does checkpoint fail on my host" is answered
/// here in seconds. --format json for tools.
/// </summary>
public sealed class CheckCommand : ICommand
{
    public string Name => "check";
    public string Usage => "report what this host supports and which ocirun features work on it";
    public OptSpec[] Options => [new("format", OptKind.Value, "f")];

    public int Run(CommandContext ctx, ParsedArgs args)
    {
        CommandContext.RequireNoArgs(args, Name);
        var format = args.Get("format") ?? "text";
        if (format is not ("text" or "json"))
        {
            throw new UsageException($"invalid format option: {format}");
        }
        var report = HostFacts.Gather(ctx.Global.Criu);
        StdStreams.Out(format == "json"
            ? JsonSerializer.Serialize(report, HostCheckJsonContext.Default.HostReport) + "\n"
            : Text(report));
        return 0;
    }

    public static string Text(HostReport h)
    {
        static string Flags(IEnumerable<KeyValuePair<string, bool>> items) =>
            string.Join(" ", items.Select(i => i.Value ? i.Key : $"-{i.Key}"));
        var c = h.Criu;
        var sb = new StringBuilder();
        sb.Append($"kernel      {h.Kernel}\n");
        sb.Append($"namespaces  {Flags(h.Namespaces)}\n");
        sb.Append($"cgroup      {h.CgroupMode}: {(h.CgroupControllers.Count > 0 ? string.Join(" ", h.CgroupControllers) : "no controllers")}\n");
        sb.Append($"syscalls    {Flags(h.Syscalls)}\n");
        sb.Append($"lsm         {(h.Lsms.Count > 0 ? string.Join(",", h.Lsms) : "none")}\n");
        sb.Append(c.Path == null
            ? $"criu        not usable: {c.Error}\n"
            : $"criu        {c.Path} {c.Version}; check {YesNo(c.Check)}, memory tracking {YesNo(c.MemTrack)}, "
                + $"lazy pages {YesNo(c.LazyPages)}, pidfd store {YesNo(c.PidfdStore)}\n");
        sb.Append('\n');
        foreach (var f in h.Features)
        {
            sb.Append($"{f.Name,-17} {(f.Works ? "works" : "does not: " + f.Because)}\n");
        }
        return sb.ToString();
    }

    private static string YesNo(bool? b) => b switch { true => "yes", false => "no", null => "unknown" };
}
