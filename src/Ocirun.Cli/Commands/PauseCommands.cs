namespace Ocirun.Cli.Commands;

public sealed class PauseCommand : ICommand
{
    public string Name => "pause";
    public string Usage => "pause suspends all processes inside the container";
    public OptSpec[] Options => [];

    public int Run(CommandContext ctx, ParsedArgs args)
    {
        ctx.Containers.Pause(CommandContext.RequireId(args, Name));
        return 0;
    }
}

public sealed class ResumeCommand : ICommand
{
    public string Name => "resume";
    public string Usage => "resumes all processes that have been previously paused";
    public OptSpec[] Options => [];

    public int Run(CommandContext ctx, ParsedArgs args)
    {
        ctx.Containers.Resume(CommandContext.RequireId(args, Name));
        return 0;
    }
}
