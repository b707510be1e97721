using Ocirun.Runtime.Container;
using Ocirun.Runtime.Terminal;
using Ocirun.Spec;
using Ocirun.Spec.Model;

namespace Ocirun.Cli.Commands;

public sealed class ExecCommand : ICommand
{
    public string Name => "exec";
    public string Usage => "execute new process inside the container";
    public bool StopAtPositional => true;

    public OptSpec[] Options =>
    [
        new("process", OptKind.Value, "p"), new("tty", OptKind.Bool, "t"), new("console-socket", OptKind.Value),
        new("cwd", OptKind.Value), new("env", OptKind.Multi, "e"), new("user", OptKind.Value, "u"),
        new("additional-gids", OptKind.Multi, "g"), new("cap", OptKind.Multi, "c"), new("no-new-privs", OptKind.Bool),
        new("apparmor", OptKind.Value), new("process-label", OptKind.Value), new("detach", OptKind.Bool, "d"),
        new("pid-file", OptKind.Value), new("preserve-fds", OptKind.Value), new("cgroup", OptKind.Multi),
        new("ignore-paused", OptKind.Bool), new("pidfd-socket", OptKind.Value),
    ];

    public int Run(CommandContext ctx, ParsedArgs args)
    {
        if (args.Positional.Count < 1)
        {
            throw new UsageException("\"exec\" requires a minimum of 1 argument(s)");
        }
        // Whatever stops an exec is "exec failed: …", exit 255, as runc reports it
        // (an unknown container, a stopped one, a bad --process file or --user, the start).
        return Runtime.PrefixedException.Around("exec failed: ", () => Exec(ctx, args), 255);
    }

    private static int Exec(CommandContext ctx, ParsedArgs args)
    {
        var id = args.Positional[0];
        var process = BuildProcess(ctx, id, args);
        int preserve = CreateCommand.PreserveFds(args);
        bool detach = args.Flag("detach");
        var consoleSocket = args.Get("console-socket");
        using var relay = !detach && consoleSocket == null && process.Terminal ? new ConsoleRelay() : null;
        using var forwarder = detach ? null : new SignalForwarder(Signals.Forwarded);
        int pid = ctx.Containers.Exec(new ExecOptions
        {
            Id = id, Process = process, Detach = detach, PidFile = args.Get("pid-file"),
            ConsoleSocket = consoleSocket, ConsoleFd = relay?.PeerFd ?? -1, PreserveFds = preserve,
            PidfdSocket = args.Get("pidfd-socket"),
            IgnorePaused = args.Flag("ignore-paused"), SubCgroups = ParseCgroups(args.All("cgroup")),
        });
        if (detach)
        {
            return 0;
        }
        forwarder!.Target(pid);
        relay?.Start();
        int code = Containers.WaitExec(pid);
        relay?.Drain();
        return code;
    }

    /// <summary>
    /// With --process the file alone defines the process (runc ignores --tty, --env and the
    /// like then); otherwise the container's own process with the arguments and flags applied.
    /// </summary>
    private static Process BuildProcess(CommandContext ctx, string id, ParsedArgs args)
    {
        if (args.Get("process") is { } file)
        {
            return SpecJson.ParseProcess(Runtime.Linux.RegularFile.ReadText(file));
        }
        var record = ctx.Containers.Load(id);
        var p = ctx.Containers.ProcessOf(record);
        p.Args = args.Positional.Skip(1).ToList();
        p.Terminal = args.Flag("tty");
        p.Env = MergeEnv(p.Env ?? [], args.All("env"));
        if (args.Get("cwd") is { } cwd)
        {
            p.Cwd = cwd;
        }
        if (args.Get("user") is { } user)
        {
            // UID[:GID], numbers as Go's strconv.Atoi reads them.
            int colon = user.IndexOf(':');
            uint gid = colon >= 0 ? Id(GoAtoi(user[(colon + 1)..], "gid"), "gid") : p.User.Gid;
            uint uid = Id(GoAtoi(colon >= 0 ? user[..colon] : user, "uid"), "uid");
            p.User = new User { Uid = uid, Gid = gid, Umask = p.User.Umask };
        }
        foreach (var g in args.All("additional-gids"))
        {
            if (!long.TryParse(g, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var gid))
            {
                throw new UsageException($"invalid value \"{g}\" for flag -additional-gids");
            }
            (p.User.AdditionalGids ??= []).Add(gid >= 0 ? Id(gid, "additional gid")
                : throw new Runtime.ContainerException($"additional-gids must be a positive number {gid}"));
        }
        foreach (var cap in args.All("cap"))
        {
            p.Capabilities ??= new Capabilities();
            foreach (var set in new[] { p.Capabilities.Bounding ??= [], p.Capabilities.Effective ??= [], p.Capabilities.Permitted ??= [] })
            {
                set.Add(cap);
            }
        }
        if (args.Flag("no-new-privs"))
        {
            p.NoNewPrivileges = true;
        }
        p.ApparmorProfile = args.Get("apparmor") ?? p.ApparmorProfile;
        p.SelinuxLabel = args.Get("process-label") ?? p.SelinuxLabel;
        return p;
    }

    /// <summary>A number as Go's strconv.Atoi reads it, with runc's "bad uid: …" wording when it is none.</summary>
    /// <summary>
    /// An id as the process gets it. runc casts to 32 bits, so 4294967296 becomes 0, root; a
    /// number that does not fit is refused here instead. -1 and the like cast to ids above
    /// 2147483647, which the spec's validation refuses.
    /// </summary>
    private static uint Id(long n, string what) => n is >= int.MinValue and <= uint.MaxValue
        ? unchecked((uint)n)
        : throw new Runtime.ContainerException($"invalid {what} {n}: must be at most {Spec.Validation.SpecValidator.MaxId}");

    /// <summary>A number as Go's strconv.Atoi reads it; a failure in runc's words ("bad uid: strconv.Atoi: …").</summary>
    public static long GoAtoi(string text, string what) =>
        GoNumbers.ParseInt(text) ?? throw new Runtime.ContainerException($"bad {what}: {GoNumbers.ParseIntError(text, "Atoi")}");

    public static List<string> MergeEnv(List<string> baseEnv, List<string> extra)
    {
        var env = new List<string>(baseEnv);
        foreach (var e in extra)
        {
            var key = e.Split('=')[0] + "=";
            env.RemoveAll(x => x.StartsWith(key, StringComparison.Ordinal));
            env.Add(e);
        }
        return env;
    }

    /// <summary>--cgroup PATH (all controllers) or --cgroup CTRL[,CTRL]:PATH.</summary>
    public static Dictionary<string, string> ParseCgroups(List<string> values)
    {
        var map = new Dictionary<string, string>();
        foreach (var v in values)
        {
            int colon = v.IndexOf(':');
            if (colon < 0)
            {
                map[""] = v;
                continue;
            }
            foreach (var ctrl in v[..colon].Split(','))
            {
                map[ctrl] = v[(colon + 1)..];
            }
        }
        return map;
    }
}
