using Ocirun.Runtime.Container;

namespace Ocirun.Cli.Commands;

public sealed class KillCommand : ICommand
{
    public string Name => "kill";
    public string Usage => "kill sends the specified signal (default: SIGTERM) to the container's init process";
    public OptSpec[] Options => [new("all", OptKind.Bool, "a")];

    public int Run(CommandContext ctx, ParsedArgs args)
    {
        var id = CommandContext.RequireId(args, Name, max: 2);
        ctx.Containers.Kill(id, () => Signals.Parse(args.Positional.Count > 1 ? args.Positional[1] : "SIGTERM"), args.Flag("all"));
        return 0;
    }
}
