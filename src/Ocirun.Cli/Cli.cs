using Ocirun.Cli.Commands;
using Ocirun.Runtime;
using Ocirun.Runtime.Container;
using Ocirun.Runtime.Linux;
using Ocirun.Spec;

namespace Ocirun.Cli;

public static class Cli
{
    public const string Version = Runtime.BuildInfo.Version;

    public static readonly ICommand[] Commands =
    {
        new CreateCommand(), new StartCommand(), new RunCommand(), new StateCommand(), new KillCommand(),
        new DeleteCommand(), new ListCommand(), new PsCommand(), new SpecCommand(), new FeaturesCommand(),
        new ExecCommand(), new PauseCommand(), new ResumeCommand(), new UpdateCommand(), new EventsCommand(),
        new CheckpointCommand(), new RestoreCommand(), new CheckCommand(),
    };

    public static int Execute(string[] args)
    {
        var log = new Log(null, false, false);
        try
        {
            var globalArgs = ArgParser.Parse(args, GlobalOptions.Specs, out int used);
            var global = GlobalOptions.From(globalArgs);
            log = new Log(global.LogPath, global.LogJson, global.Debug);
            Warnings.Sink = log.Warning;
            if (global.Debug)
            {
                DebugLog.Sink = log.Debug;
            }
            if (globalArgs.Flag("version"))
            {
                StdStreams.Out($"ocirun version {Version}\nspec: {DefaultSpec.SpecVersion}\n"
                    + $"libseccomp: {Runtime.Seccomp.SeccompCompiler.LibraryVersion()}\n");
                return 0;
            }
            var rest = args.Skip(used).ToList();
            if (rest.Count == 0 || globalArgs.Flag("help"))
            {
                StdStreams.Out(Help());
                return 0;
            }
            var command = Commands.FirstOrDefault(c => c.Name == rest[0]);
            if (command == null)
            {
                // urfave/cli's exit code for an unknown command, which runc keeps.
                log.Error($"No help topic for '{rest[0]}'");
                return 3;
            }
            if (rest.Skip(1).Any(a => a is "--help" or "-h" or "-help"))
            {
                StdStreams.Out($"NAME:\n   ocirun {command.Name} - {command.Usage}\n");
                return 0;
            }
            var parsed = ArgParser.Parse(rest.Skip(1).ToList(), command.Options, out _, command.StopAtPositional);
            return command.Run(new CommandContext(global, log), parsed);
        }
        catch (UsageException e)
        {
            log.Error("Incorrect Usage: " + e.Message);
            return 1;
        }
        catch (Exception e) when (PrefixedException.IsUserFacing(e))
        {
            log.Error(Describe(e));
            return PrefixedException.ExitCodeOf(e);
        }
        catch (Exception e)
        {
            // A bug, not bad input; still one line and a failing exit, not an abort.
            log.Error($"internal error ({e.GetType().Name}): {Describe(e)}");
            return 1;
        }
    }

    /// <summary>
    /// The error line for an exception. The binary is built with UseSystemResourceKeys, so
    /// .NET's own messages are resource keys ("IO_PathNotFound_Path, /x"): file errors are
    /// worded here instead, as runc words them.
    /// </summary>
    internal static string Describe(Exception e) => e switch
    {
        PrefixedException { InnerException: { } cause } p => p.Prefix + Describe(cause),
        FileNotFoundException { FileName: { } f } => $"open {f}: no such file or directory",
        FileNotFoundException or DirectoryNotFoundException => $"open {Argument(e.Message)}: no such file or directory",
        UnauthorizedAccessException => $"open {Argument(e.Message)}: permission denied",
        PathTooLongException => $"stat {Argument(e.Message)}: file name too long",
        IOException when ResourceKeyText.Split(e.Message) is { } split => ResourceKeyText.Words(split.Key)
            + (split.Argument.Length > 0 ? ": " + split.Argument : ""),
        _ => ResourceKeyText.InJsonErrors(e),
    };

    /// <summary>The argument of a resource-key message ("Key, argument"), or the whole message.</summary>
    private static string Argument(string message) =>
        ResourceKeyText.Split(message) is { Argument.Length: > 0 } split ? split.Argument : message;

    private static string Help()
    {
        var lines = Commands.Select(c => $"   {c.Name,-12}{c.Usage}");
        return "NAME:\n   ocirun - Open Container Initiative runtime\n\nUSAGE:\n   ocirun [global options] command [command options] [arguments...]\n\nCOMMANDS:\n"
            + string.Join("\n", lines) + "\n";
    }
}
