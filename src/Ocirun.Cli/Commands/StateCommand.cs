using Ocirun.Runtime.Linux;

namespace Ocirun.Cli.Commands;

public sealed class StateCommand : ICommand
{
    public string Name => "state";
    public string Usage => "output the state of a container";
    public OptSpec[] Options => [];

    public int Run(CommandContext ctx, ParsedArgs args)
    {
        var view = ctx.Containers.State(CommandContext.RequireId(args, Name));
        // runc prints two-space indented JSON with no trailing newline.
        StdStreams.Out(view.Document.ToJson(indented: true));
        return 0;
    }
}
