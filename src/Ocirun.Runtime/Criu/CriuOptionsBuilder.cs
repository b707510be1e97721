namespace Ocirun.Runtime.Criu;

/// <summary>The criu_opts both checkpoint and restore set from runc's shared flags.</summary>
public static class CriuOptionsBuilder
{
    public const uint CloneNewNet = 0x40000000;

    public static CriuOpts Common(CriuCommonOptions o, int imagesDirFd, int workDirFd, string logFile, Spec.Model.Spec spec)
    {
        var opts = new CriuOpts
        {
            ImagesDirFd = imagesDirFd,
            WorkDirFd = workDirFd,
            LogLevel = 4,
            LogFile = logFile,
            ManageCgroups = true,
            ManageCgroupsMode = CgroupMode(o.ManageCgroupsMode),
            NotifyScripts = true,
            OrphanPtsMaster = true,
            TcpEstablished = o.TcpEstablished,
            ExtUnixSk = o.ExtUnixSk,
            ShellJob = o.ShellJob,
            FileLocks = o.FileLocks,
            AutoDedup = o.AutoDedup,
            LazyPages = o.LazyPages,
            // ocirun does not manage network devices: a private network namespace comes back
            // empty, exactly as runc and crun restore it.
            EmptyNs = CloneNewNet | EmptyNsFlags(o.EmptyNs),
        };
        if (ConfigFile(spec) is { } config)
        {
            opts.ConfigFile = config;
        }
        return opts;
    }

    /// <summary>The CRIU configuration file: the org.criu.config annotation, else runc's default if present.</summary>
    public static string? ConfigFile(Spec.Model.Spec spec)
    {
        if (spec.Annotations?.TryGetValue("org.criu.config", out var path) == true)
        {
            return path.Length > 0 ? path : null;
        }
        return File.Exists("/etc/criu/runc.conf") ? "/etc/criu/runc.conf" : null;
    }

    public static CriuCgMode CgroupMode(string? mode) => mode switch
    {
        null or "" or "soft" => CriuCgMode.Soft,
        "full" => CriuCgMode.Full,
        "strict" => CriuCgMode.Strict,
        "ignore" => CriuCgMode.Ignore,
        _ => throw new ContainerException($"invalid manage cgroups mode: {mode}"),
    };

    private static uint EmptyNsFlags(IEnumerable<string> names)
    {
        uint flags = 0;
        foreach (var n in names)
        {
            flags |= n == "network" ? CloneNewNet : throw new ContainerException($"namespace \"{n}\" is not supported by --empty-ns");
        }
        return flags;
    }
}
