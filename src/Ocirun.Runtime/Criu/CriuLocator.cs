namespace Ocirun.Runtime.Criu;

/// <summary>
/// Finds the criu executable: an explicit path (--criu or configuration), $OCIRUN_CRIU, the copy
/// `make deps` installs, /usr/local/sbin/criu, then PATH. The fixed locations come before PATH
/// because Debian's /usr/sbin/criu (3.17) is too old for this kernel and Podman may call the
/// runtime without /usr/local/sbin in PATH.
/// </summary>
public sealed class CriuLocator(Func<string, string?> getEnv, IReadOnlyList<string> knownPaths)
{
    /// <summary>Used when PATH is unset, for the lookup and for CRIU's own environment.</summary>
    public const string StandardPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    public static readonly IReadOnlyList<string> DefaultKnownPaths = ["/opt/ocirun/criu/criu", "/usr/local/sbin/criu"];

    public static CriuLocator Default { get; } = new(Environment.GetEnvironmentVariable, DefaultKnownPaths);

    public static string Find(string? explicitPath = null) => Default.Locate(explicitPath);

    /// <summary>The criu to run; a name without '/' (explicit or $OCIRUN_CRIU) is looked up in PATH.</summary>
    public string Locate(string? explicitPath)
    {
        foreach (var (what, chosen) in new[] { ("--criu", explicitPath), ("OCIRUN_CRIU", getEnv("OCIRUN_CRIU")) })
        {
            if (!string.IsNullOrEmpty(chosen))
            {
                return Resolve(chosen) ?? throw new ContainerException(
                    $"criu not found: {what} {chosen} is not an executable file");
            }
        }
        return knownPaths.FirstOrDefault(IsExecutable) ?? SearchPath("criu")
            ?? throw new ContainerException("criu not found: install it with `make deps` or pass --criu PATH");
    }

    /// <summary>A program CRIU would run by name (tar, iptables), looked up in PATH as for criu.</summary>
    public static string? FindTool(string name) => Default.SearchPath(name);

    private string? Resolve(string nameOrPath) =>
        nameOrPath.Contains('/') ? (IsExecutable(nameOrPath) ? Path.GetFullPath(nameOrPath) : null) : SearchPath(nameOrPath);

    private string? SearchPath(string name)
    {
        var path = getEnv("PATH");
        var dirs = (string.IsNullOrEmpty(path) ? StandardPath : path).Split(':');
        // An empty PATH entry means the current directory, as for execvp.
        return dirs.Select(d => Path.Combine(d.Length == 0 ? "." : d, name)).Where(IsExecutable)
            .Select(Path.GetFullPath).FirstOrDefault();
    }

    private static bool IsExecutable(string path)
    {
        try
        {
            var info = new FileInfo(path);
            return info.Exists && (info.UnixFileMode & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return false;
        }
    }
}
