using Ocirun.Runtime;
using Ocirun.Runtime.Container;
using Ocirun.Runtime.Terminal;

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
        return PrefixedException.Around(CreateCommand.FailedPrefix(Name), () => CreateAndRun(ctx, args, id));
    }

    private static int CreateAndRun(CommandContext ctx, ParsedArgs args, string id)
    {
        bool detach = args.Flag("detach");
        var c = ctx.Containers;
        var options = CreateCommand.Build(id, args, detach);
        options = options with { Spec = Containers.LoadSpec(Path.GetFullPath(options.Bundle)) };
        // A foreground container with a terminal and no console socket uses our own stdio.
        using var relay = !detach && options.ConsoleSocket == null && options.Spec.Process!.Terminal ? new ConsoleRelay() : null;
        using var forwarder = detach ? null : new SignalForwarder(Signals.Forwarded);
        var record = c.Create(relay == null ? options : options with { ConsoleFd = relay.PeerFd });
        try
        {
            relay?.Start();
            c.Start(id);
            // Not before: until start the init is the runtime's own code, which signals must not reach.
            forwarder?.Target(record.InitPid);
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
        int code = c.WaitForeground(record, keep: args.Flag("keep"));
        relay?.Drain();
        return code;
    }
}
