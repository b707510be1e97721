using Ocirun.Runtime;
using Ocirun.Runtime.Container;

namespace Ocirun.Cli.Commands;

public sealed class CreateCommand : ICommand
{
    public static readonly OptSpec[] CreateOptions =
    {
        new("bundle", OptKind.Value, "b"), new("console-socket", OptKind.Value), new("pid-file", OptKind.Value),
        new("no-pivot", OptKind.Bool), new("no-new-keyring", OptKind.Bool), new("preserve-fds", OptKind.Value),
        new("pidfd-socket", OptKind.Value),
    };

    public string Name => "create";
    public string Usage => "create a container";
    public OptSpec[] Options => CreateOptions;

    public int Run(CommandContext ctx, ParsedArgs args)
    {
        var id = CommandContext.RequireId(args, Name);
        PrefixedException.Around(FailedPrefix(Name), () => ctx.Containers.Create(Build(id, args, detach: true)));
        return 0;
    }

    /// <summary>
    /// runc's words before whatever stops a create or run once its arguments are read ("runc
    /// create failed: "), with this runtime's name.
    /// </summary>
    public static string FailedPrefix(string command) => $"ocirun {command} failed: ";

    /// <summary>--preserve-fds (create, run and exec): a count of fds after stdio, 0 without it.</summary>
    public static int PreserveFds(ParsedArgs args) =>
        args.Get("preserve-fds") is not { } p ? 0
        : int.TryParse(p, out var n) && n >= 0 ? n : throw UsageException.BadNumber(p, "preserve-fds");

    public static Runtime.Container.CreateOptions Build(string id, ParsedArgs args, bool detach)
    {
        int preserve = PreserveFds(args);
        return new Runtime.Container.CreateOptions
        {
            Id = id,
            Bundle = args.Get("bundle") is { Length: > 0 } b ? b : Directory.GetCurrentDirectory(),
            PidFile = args.Get("pid-file"),
            ConsoleSocket = args.Get("console-socket"),
            PidfdSocket = args.Get("pidfd-socket"),
            NoPivot = args.Flag("no-pivot"),
            NoNewKeyring = args.Flag("no-new-keyring"),
            PreserveFds = preserve + ListenFds(),
            Detach = detach,
        };
    }

    /// <summary>Socket activation: fds passed to us with LISTEN_FDS for our pid go on to the container.</summary>
    private static int ListenFds()
    {
        var pid = Environment.GetEnvironmentVariable("LISTEN_PID");
        var fds = Environment.GetEnvironmentVariable("LISTEN_FDS");
        return pid == Environment.ProcessId.ToString() && int.TryParse(fds, out var n) && n > 0 ? n : 0;
    }
}
