namespace Ocirun.Cli.Commands;

public sealed class StartCommand : ICommand
{
    public string Name => "start";
    public string Usage => "executes the user defined process in a created container";
    public OptSpec[] Options => [];

    public int Run(CommandContext ctx, ParsedArgs args)
    {
        ctx.Containers.Start(CommandContext.RequireId(args, Name));
        return 0;
    }
}
