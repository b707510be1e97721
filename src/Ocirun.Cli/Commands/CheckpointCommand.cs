using Ocirun.Runtime.Container;

namespace Ocirun.Cli.Commands;

public sealed class CheckpointCommand : ICommand
{
    public static readonly OptSpec[] Common =
    [
        new("image-path", OptKind.Value), new("work-path", OptKind.Value), new("tcp-established", OptKind.Bool),
        new("ext-unix-sk", OptKind.Bool), new("shell-job", OptKind.Bool), new("file-locks", OptKind.Bool),
        new("manage-cgroups-mode", OptKind.Value), new("empty-ns", OptKind.Multi), new("auto-dedup", OptKind.Bool),
        new("lazy-pages", OptKind.Bool),
    ];

    public string Name => "checkpoint";
    public string Usage => "checkpoint a running container";

    public OptSpec[] Options => Common.Concat(
    [
        new OptSpec("leave-running", OptKind.Bool), new("pre-dump", OptKind.Bool), new("parent-path", OptKind.Value),
        new("page-server", OptKind.Value), new("status-fd", OptKind.Value),
    ]).ToArray();

    public int Run(CommandContext ctx, ParsedArgs args)
    {
        var id = CommandContext.RequireId(args, Name);
        int statusFd = -1;
        if (args.Get("status-fd") is { } s && (!int.TryParse(s, out statusFd) || statusFd < 0))
        {
            throw UsageException.BadNumber(s, "status-fd");
        }
        ctx.Containers.Checkpoint(id, new CheckpointOptions
        {
            ImagePath = args.Get("image-path") ?? "checkpoint", WorkPath = args.Get("work-path"),
            TcpEstablished = args.Flag("tcp-established"), ExtUnixSk = args.Flag("ext-unix-sk"),
            ShellJob = args.Flag("shell-job"), FileLocks = args.Flag("file-locks"),
            ManageCgroupsMode = args.Get("manage-cgroups-mode"), EmptyNs = args.All("empty-ns"),
            AutoDedup = args.Flag("auto-dedup"), LazyPages = args.Flag("lazy-pages"), CriuPath = ctx.Global.Criu,
            LeaveRunning = args.Flag("leave-running"), PreDump = args.Flag("pre-dump"),
            ParentPath = args.Get("parent-path"), PageServer = args.Get("page-server"), StatusFd = statusFd,
        });
        return 0;
    }
}

public sealed class RestoreCommand : ICommand
{
    public string Name => "restore";
    public string Usage => "restore a container from a previous checkpoint";

    public OptSpec[] Options => CheckpointCommand.Common.Concat(
    [
        new OptSpec("console-socket", OptKind.Value), new("bundle", OptKind.Value, "b"), new("detach", OptKind.Bool, "d"),
        new("pid-file", OptKind.Value), new("no-subreaper", OptKind.Bool), new("no-pivot", OptKind.Bool),
        new("lsm-profile", OptKind.Value), new("lsm-mount-context", OptKind.Value),
        // Sent by conmon and containerd although runc's restore has neither: accepted, ignored.
        new("no-new-keyring", OptKind.Bool), new("parent-path", OptKind.Value),
    ]).ToArray();

    public int Run(CommandContext ctx, ParsedArgs args)
    {
        var id = CommandContext.RequireId(args, Name);
        bool detach = args.Flag("detach");
        using var forwarder = detach ? null : new SignalForwarder(Signals.Forwarded);
        var record = ctx.Containers.Restore(new RestoreOptions
        {
            Id = id, ImagePath = args.Get("image-path") ?? "checkpoint", WorkPath = args.Get("work-path"),
            TcpEstablished = args.Flag("tcp-established"), ExtUnixSk = args.Flag("ext-unix-sk"),
            ShellJob = args.Flag("shell-job"), FileLocks = args.Flag("file-locks"),
            ManageCgroupsMode = args.Get("manage-cgroups-mode"), EmptyNs = args.All("empty-ns"),
            AutoDedup = args.Flag("auto-dedup"), LazyPages = args.Flag("lazy-pages"), CriuPath = ctx.Global.Criu,
            Bundle = args.Get("bundle") is { Length: > 0 } b ? b : Directory.GetCurrentDirectory(), Detach = detach,
            PidFile = args.Get("pid-file"), ConsoleSocket = args.Get("console-socket"),
            NoSubreaper = args.Flag("no-subreaper"), NoPivot = args.Flag("no-pivot"),
            LsmProfile = args.Get("lsm-profile"), LsmMountContext = args.Get("lsm-mount-context"),
        });
        if (detach)
        {
            return 0;
        }
        forwarder!.Target(record.InitPid);
        return ctx.Containers.WaitForeground(record, keep: false);
    }
}
