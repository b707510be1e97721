namespace Ocirun.E2ETests.Harness;

/// <summary>A cgroup path a fixture chose (its daemon puts containers below it), in every hierarchy.</summary>
public static class CgroupTree
{
    /// <summary>The directories of a cgroup path relative to the root: one on cgroup2-only hosts, one a hierarchy on v1/hybrid.</summary>
    public static IEnumerable<string> Dirs(string relative)
    {
        if (File.Exists("/sys/fs/cgroup/cgroup.controllers"))
        {
            return new[] { Path.Combine("/sys/fs/cgroup", relative) }.Where(Directory.Exists);
        }
        return Directory.GetDirectories("/sys/fs/cgroup").Select(c => Path.Combine(c, relative)).Where(Directory.Exists);
    }

    /// <summary>
    /// Removes the cgroup path everywhere, deepest first. Sub-cgroups are the runtimes' to
    /// remove: each one still there goes into leaks.
    /// </summary>
    public static void Remove(string relative, List<string> leaks)
    {
        foreach (var dir in Dirs(relative))
        {
            foreach (var sub in Directory.GetDirectories(dir, "*", SearchOption.AllDirectories).OrderByDescending(d => d.Length))
            {
                leaks.Add($"cgroup {sub}");
                TryRmdir(sub, leaks);
            }
            TryRmdir(dir, leaks);
        }
    }

    private static void TryRmdir(string dir, List<string> leaks)
    {
        try
        {
            Directory.Delete(dir);
        }
        catch (IOException e)
        {
            leaks.Add($"cannot remove cgroup {dir}: {e.Message}");
        }
    }
}
