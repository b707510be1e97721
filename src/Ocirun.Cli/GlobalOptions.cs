namespace Ocirun.Cli;

/// <summary>Options before the command; they apply to every command.</summary>
public sealed class GlobalOptions
{
    public static readonly OptSpec[] Specs =
    {
        new("root", OptKind.Value), new("log", OptKind.Value), new("log-format", OptKind.Value),
        new("debug", OptKind.Bool), new("systemd-cgroup", OptKind.Bool), new("criu", OptKind.Value),
        new("rootless", OptKind.Value), new("version", OptKind.Bool, "v"), new("help", OptKind.Bool, "h"),
    };

    public string Root { get; init; } = DefaultRoot();
    /// <summary>Whether --root was given: `list` reports a missing root only then, as runc does.</summary>
    public bool RootGiven { get; init; }
    public string? LogPath { get; init; }
    public bool LogJson { get; init; }
    public bool Debug { get; init; }
    public bool SystemdCgroup { get; init; }
    public string? Criu { get; init; }
    /// <summary>
    /// --rootless resolved (cgroups the caller may not write are skipped, not fatal), asked
    /// only by the commands that make or join cgroups: `state` or `kill` never read uid_map.
    /// </summary>
    public Func<bool> RootlessCgroups { get; init; } = () => false;

    public static GlobalOptions From(ParsedArgs a)
    {
        var format = a.Get("log-format") ?? "text";
        if (format is not ("text" or "json"))
        {
            throw new UsageException($"invalid log-format: {format}");
        }
        var rootless = a.Get("rootless") ?? "auto";
        if (rootless is not ("true" or "false" or "auto"))
        {
            throw new UsageException($"invalid value for --rootless: {rootless}");
        }
        return new GlobalOptions
        {
            Root = a.Get("root") is { Length: > 0 } r ? Path.GetFullPath(r) : DefaultRoot(),
            RootGiven = a.Get("root") is { Length: > 0 },
            LogPath = a.Get("log"),
            LogJson = format == "json",
            Debug = a.Flag("debug"),
            SystemdCgroup = a.Flag("systemd-cgroup"),
            Criu = a.Get("criu"),
            RootlessCgroups = () => Runtime.Security.Rootless.UseRootlessCgroups(rootless, Runtime.Security.Rootless.Euid,
                Runtime.Security.Rootless.InUserNamespace, a.Flag("systemd-cgroup")),
        };
    }

    /// <summary>
    /// $XDG_RUNTIME_DIR/ocirun for a rootless caller that has one, /run/ocirun otherwise, as
    /// runc chooses (a caller without either gets runc's permission error at /run, never a
    /// directory in /tmp that someone else could have made first).
    /// </summary>
    public static string DefaultRoot()
    {
        var xdg = Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR");
        return !string.IsNullOrEmpty(xdg) && Runtime.Security.Rootless.HonorXdgRuntimeDir(Runtime.Security.Rootless.Euid,
            Runtime.Security.Rootless.InUserNamespace, Environment.GetEnvironmentVariable("USER"))
            ? Path.Combine(xdg, "ocirun") : "/run/ocirun";
    }
}
