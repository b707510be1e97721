using System.Diagnostics;
using System.Text.Json;
using Ocirun.Runtime.Cgroups;
using Ocirun.Spec;
using Ocirun.Runtime.Linux;

namespace Ocirun.Cli.Commands;

public sealed class PsCommand : ICommand
{
    public string Name => "ps";
    public string Usage => "ps displays the processes running inside a container";
    public OptSpec[] Options => [new("format", OptKind.Value, "f")];
    public bool StopAtPositional => true;

    public int Run(CommandContext ctx, ParsedArgs args)
    {
        if (args.Positional.Count < 1)
        {
            throw new UsageException("\"ps\" requires a minimum of 1 argument(s)");
        }
        // A stopped container is no error: its cgroup simply has no processes (runc prints the header).
        var r = ctx.Containers.Load(args.Positional[0]);
        if (r.CgroupPaths.Count == 0)
        {
            // Nothing lists its processes: a rootless container the caller could give no cgroup.
            throw new Runtime.ContainerException("unable to get all container pids: the container has no cgroup (rootless, without permission for any)");
        }
        var pids = CgroupDriver.For(r.CgroupPaths).Pids();
        var format = args.Get("format") ?? "table";
        if (format == "json")
        {
            // A nil slice in runc's encoder: null when there are none.
            StdStreams.Out((pids.Count == 0 ? "null" : SpecJson.Compact(pids, SpecJsonContext.Default.ListInt32)) + "\n");
            return 0;
        }
        if (format != "table")
        {
            throw new Runtime.ContainerException("invalid format option");
        }
        var psArgs = args.Positional.Count > 1 ? args.Positional.Skip(1).ToList() : ["-ef"];
        StdStreams.Out(FilterPs(RunPs(psArgs), pids));
        return 0;
    }

    private static string RunPs(List<string> psArgs)
    {
        var psi = new ProcessStartInfo("ps") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in psArgs)
        {
            psi.ArgumentList.Add(a);
        }
        using var p = System.Diagnostics.Process.Start(psi)!;
        var errors = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            // runc's wording: Go's error for the exit, then what ps said.
            throw new Runtime.ContainerException($"exit status {p.ExitCode}: {output}{errors.Result}".TrimEnd('\n'));
        }
        return output;
    }

    /// <summary>Keeps ps's header and the lines whose PID column is one of pids.</summary>
    public static string FilterPs(string output, IReadOnlyCollection<int> pids)
    {
        var lines = output.Split('\n');
        var header = lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        int col = Array.IndexOf(header, "PID");
        if (col < 0)
        {
            throw new Runtime.ContainerException("couldn't find PID field in ps output");
        }
        var keep = new List<string> { lines[0] };
        foreach (var line in lines.Skip(1).Where(l => l.Length > 0))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length > col && int.TryParse(fields[col], out var pid) && pids.Contains(pid))
            {
                keep.Add(line);
            }
        }
        return string.Join("\n", keep) + "\n";
    }
}
