namespace Ocirun.Runtime.Criu;

/// <summary>The first real error of a CRIU log, with a hint at the usual cause when one is known.</summary>
public sealed record CriuLogError(string Line, string Message, string? Hint)
{
    public override string ToString() => Hint == null ? Message : $"{Message} ({Hint})";
}

/// <summary>
/// Reads CRIU's log (dump.log, restore.log in the work dir): the reason for a failure is only
/// there, since cr_errmsg in the response is merely the first error-level line of the run, and
/// on this kind of host that is always the harmless RLIMIT_NOFILE one.
/// </summary>
public static class CriuLog
{
    // "(00.041586) Error (criu/protobuf.c:72): Unexpected EOF on (empty-image)", in restored
    // tasks prefixed by their pid: "(00.1)      1: Error (criu/...): ...".
    private const string ErrorMark = "Error (";

    // CRIU raises its own NOFILE limit to fs.nr_open; without CAP_SYS_RESOURCE that fails and is ignored.
    // Its start-up probe opens /dev/net/tun, which a container's device rules (CRIU runs in the
    // container's cgroup) no longer allow; the probe only decides whether tun devices can be restored.
    private static readonly string[] Harmless =
        ["rlimit: Can't setup RLIMIT_NOFILE for self", "tun: Unable to create tun: Operation not permitted"];

    // First match wins: the more specific patterns come first.
    private static readonly (string[] AnyOf, string Hint)[] Hints =
    [
        (["Can't lookup mount="],
            "an open file is on a mount CRIU cannot see, e.g. a terminal from outside the container: give it pipes or /dev/null as stdio, or declare the file external"),
        (["--ext-unix-sk", "External socket"],
            "a unix socket is connected to a process outside the container: use --ext-unix-sk"),
        (["not a session leader", "--shell-job"],
            "the process shares a session or terminal with processes outside the checkpoint: use --shell-job"),
        (["doesn't have a proper root mount"],
            "a mount comes from outside the container and must be passed to CRIU as an external mount"),
        (["File exists"],
            "a pid recorded in the image is in use (a running process or an unreaped zombie): restore into a new pid namespace"),
        (["Dirty tracking", "Tracking memory is not available", "soft-dirty", "soft_dirty"],
            "this kernel has no soft-dirty memory tracking: pre-dump and incremental checkpoints are not possible"),
        (["(empty-image)", "No inventory.img"],
            "the image directory does not hold a complete checkpoint"),
        (["Operation not supported", "Function not implemented", "not supported"],
            "the kernel lacks a feature CRIU needs: see `criu check --all`"),
    ];

    /// <summary>The first error line of the log text that is not known to be harmless, or null.</summary>
    public static CriuLogError? FirstError(string logText)
    {
        foreach (var raw in logText.Split('\n'))
        {
            var line = raw.TrimEnd('\r').Trim();
            int at = line.IndexOf(ErrorMark, StringComparison.Ordinal);
            if (at < 0 || Harmless.Any(h => line.Contains(h, StringComparison.Ordinal)))
            {
                continue;
            }
            // The message follows the "(file:line): " location.
            int end = line.IndexOf("): ", at, StringComparison.Ordinal);
            var message = end < 0 ? line[at..] : line[(end + 3)..];
            return new CriuLogError(line, message, HintFor(line));
        }
        return null;
    }

    public static string? HintFor(string line) =>
        Hints.FirstOrDefault(h => h.AnyOf.Any(p => line.Contains(p, StringComparison.Ordinal))).Hint;

    /// <summary>The first error in workDir/logFile; null when the log is missing or has none.</summary>
    public static CriuLogError? ReadFirstError(string workDir, string logFile)
    {
        try
        {
            return FirstError(File.ReadAllText(Path.Combine(workDir, logFile)));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
