using Ocirun.Runtime.Container;

namespace Ocirun.Cli.Commands;

public sealed class RunCommand : ICommand
{
    public string Name => "run";
    public string Usage => "create and run a container";
    public OptSpec[] Options => CreateCommand.CreateOptions
        .Concat([new OptSpec("detach", OptKind.Bool, "d"), new("keep", OptKind.Bool), new("no-subreaper", OptKind.Bool)])
        .ToArray();

    public int Run(CommandContext ctx, ParsedArgs args)
    {
        var id = CommandContext.RequireId(args, Name);
        bool detach = args.Flag("detach");
        var c = ctx.Containers;
        var record = c.Create(CreateCommand.Build(id, args, detach));
        try
        {
            c.Start(id);
        }
        catch
        {
            c.Delete(id, force: true);
            throw;
        }
        if (detach)
        {
            return 0;
        }
        return c.WaitForeground(record, keep: args.Flag("keep"), Signals.Forwarded);
    }
}
