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
    public string? LogPath { get; init; }
    public bool LogJson { get; init; }
    public bool Debug { get; init; }
    public bool SystemdCgroup { get; init; }
    public string? Criu { get; init; }

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
            LogPath = a.Get("log"),
            LogJson = format == "json",
            Debug = a.Flag("debug"),
            SystemdCgroup = a.Flag("systemd-cgroup"),
            Criu = a.Get("criu"),
        };
    }

    /// <summary>
    /// /run/ocirun for root; $XDG_RUNTIME_DIR/ocirun otherwise. Derived only from euid and
    /// XDG_RUNTIME_DIR, so calls made with different environments agree.
    /// </summary>
    public static string DefaultRoot()
    {
        if (GetEuid() == 0)
        {
            return "/run/ocirun";
        }
        var xdg = Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR");
        return string.IsNullOrEmpty(xdg) ? $"/tmp/ocirun-{GetEuid()}" : Path.Combine(xdg, "ocirun");
    }

    private static uint GetEuid()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("Uid:", StringComparison.Ordinal))
            {
                return uint.Parse(line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[2]);
            }
        }
        return 0;
    }
}
