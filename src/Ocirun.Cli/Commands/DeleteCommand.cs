namespace Ocirun.Cli.Commands;

public sealed class DeleteCommand : ICommand
{
    public string Name => "delete";
    public string Usage => "delete any resources held by the container often used with detached container";
    public OptSpec[] Options => [new("force", OptKind.Bool, "f")];

    public int Run(CommandContext ctx, ParsedArgs args)
    {
        ctx.Containers.Delete(CommandContext.RequireId(args, Name), args.Flag("force"));
        return 0;
    }
}
