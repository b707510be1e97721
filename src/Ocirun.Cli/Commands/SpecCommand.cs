using System.Text.Json;
using Ocirun.Runtime.Container;
using Ocirun.Spec;

namespace Ocirun.Cli.Commands;

public sealed class SpecCommand : ICommand
{
    public string Name => "spec";
    public string Usage => "create a new specification file";
    public OptSpec[] Options => [new("bundle", OptKind.Value, "b"), new("rootless", OptKind.Bool)];

    public int Run(CommandContext ctx, ParsedArgs args)
    {
        CommandContext.RequireNoArgs(args, "spec");
        var bundle = args.Get("bundle") ?? ".";
        var path = Path.Combine(bundle, "config.json");
        if (File.Exists(path))
        {
            throw new Runtime.ContainerException("File config.json exists. Remove it first");
        }
        var spec = args.Flag("rootless") ? DefaultSpec.Rootless(GetId("-u"), GetId("-g")) : DefaultSpec.Create(cgroupNamespace: DefaultSpec.HostIsCgroup2Only());
        File.WriteAllText(path, JsonSerializer.Serialize(spec, SpecJsonContext.Default.Spec));
        return 0;
    }

    private static uint GetId(string which)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith(which == "-u" ? "Uid:" : "Gid:", StringComparison.Ordinal))
            {
                return uint.Parse(line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[2]);
            }
        }
        return 0;
    }
}
