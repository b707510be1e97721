using System.Runtime.InteropServices;
using Ocirun.Runtime.Interop;
using Ocirun.Runtime.Linux;
using static Ocirun.Runtime.Interop.Consts;

namespace Ocirun.Runtime.Process;

/// <summary>The environment and executable lookup of the container process, as runc does them.</summary>
public static class ProcessEnv
{
    /// <summary>
    /// process.env with each variable once, its last value at the place of its last mention
    /// (runc 1.2's dedup), and HOME from the user's passwd entry when it is unset or empty.
    /// </summary>
    public static List<string> Build(Spec.Model.Process process)
    {
        var env = Dedup(process.Env ?? []);
        int home = env.FindIndex(e => e.StartsWith("HOME=", StringComparison.Ordinal));
        if (home < 0 || env[home].Length == "HOME=".Length)
        {
            if (home >= 0)
            {
                env.RemoveAt(home);
            }
            env.Add("HOME=" + HomeOf(process.User.Uid, "/etc/passwd"));
        }
        return env;
    }

    public static List<string> Dedup(IReadOnlyList<string> env)
    {
        var seen = new HashSet<string>();
        var kept = new List<string>();
        for (int i = env.Count - 1; i >= 0; i--)
        {
            int eq = env[i].IndexOf('=');
            if (seen.Add(eq < 0 ? env[i] : env[i][..eq]))
            {
                kept.Add(env[i]);
            }
        }
        kept.Reverse();
        return kept;
    }

    public static string HomeOf(uint uid, string passwdPath)
    {
        try
        {
            foreach (var line in File.ReadLines(passwdPath))
            {
                var f = line.Split(':');
                if (f.Length >= 6 && f[2] == uid.ToString())
                {
                    return f[5];
                }
            }
        }
        catch (IOException)
        {
        }
        return "/";
    }

    /// <summary>Finds name on PATH from the container's environment (never the runtime's).</summary>
    public static string LookPath(string name, IReadOnlyList<string> env)
    {
        if (name.Contains('/'))
        {
            return NotExecutable(name) is { } why ? throw new ContainerException($"exec: \"{name}\": {why}") : name;
        }
        var path = env.LastOrDefault(e => e.StartsWith("PATH=", StringComparison.Ordinal))?[5..] ?? "";
        return Linux.PathSearch.Find(name, path)
            ?? throw new ContainerException($"exec: \"{name}\": executable file not found in $PATH");
    }

    /// <summary>
    /// Why path cannot be run, in the words of Go's exec.LookPath that runc's init uses (stat's
    /// error, "is a directory", "permission denied"), or null if it can: checked with the
    /// caller's effective ids, so that `create` fails for a binary its user may not run.
    /// </summary>
    internal static unsafe string? NotExecutable(string path)
    {
        StatBuf st;
        if (Libc.stat(path, &st) < 0)
        {
            return $"stat {path}: {LinuxException.ErrnoText(Marshal.GetLastPInvokeError())}";
        }
        if ((st.Mode & S_IFMT) == S_IFDIR)
        {
            return "is a directory";
        }
        if (Libc.faccessat(AT_FDCWD, path, X_OK, AT_EACCESS) == 0)
        {
            return null;
        }
        int errno = Marshal.GetLastPInvokeError();
        if (errno is not (ENOSYS or EPERM))
        {
            return LinuxException.ErrnoText(errno);
        }
        // Where faccessat2 is missing or refused, the mode bits decide, as in Go.
        return (st.Mode & 0x49 /* 0111 */) != 0 ? null : "permission denied";
    }
}
