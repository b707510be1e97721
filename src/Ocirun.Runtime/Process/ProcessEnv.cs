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
            if (!File.Exists(name))
            {
                throw new ContainerException($"exec: \"{name}\": stat {name}: no such file or directory");
            }
            return name;
        }
        var path = env.LastOrDefault(e => e.StartsWith("PATH=", StringComparison.Ordinal))?[5..] ?? "";
        return Linux.PathSearch.Find(name, path)
            ?? throw new ContainerException($"exec: \"{name}\": executable file not found in $PATH");
    }
}
