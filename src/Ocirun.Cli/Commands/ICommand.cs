using Ocirun.Runtime.Container;
using Ocirun.Runtime.State;

namespace Ocirun.Cli.Commands;

/// <summary>One CLI verb: its options and what it does. Commands parse, call the library and print.</summary>
public interface ICommand
{
    string Name { get; }
    string Usage { get; }
    OptSpec[] Options { get; }
    /// <summary>exec-style commands stop option parsing at the first argument.</summary>
    bool StopAtPositional => false;
    int Run(CommandContext ctx, ParsedArgs args);
}

public sealed class CommandContext(GlobalOptions global, Log log)
{
    public GlobalOptions Global { get; } = global;
    public Log Log { get; } = log;
    public Containers Containers { get; } = new(new StateStore(global.Root)) { SystemdCgroup = global.SystemdCgroup, RootlessDecision = global.RootlessCgroups };

    /// <summary>The single container id argument, or a usage error like runc's.</summary>
    public static string RequireId(ParsedArgs args, string command, int max = 1)
    {
        if (args.Positional.Count < 1 || args.Positional.Count > max)
        {
            throw new UsageException($"\"{command}\" requires exactly 1 argument(s)");
        }
        return args.Positional[0];
    }

    /// <summary>For commands that take no arguments (features, list, spec), as runc checks them.</summary>
    public static void RequireNoArgs(ParsedArgs args, string command)
    {
        if (args.Positional.Count > 0)
        {
            throw new UsageException($"\"{command}\" requires exactly 0 argument(s)");
        }
    }
}
