namespace Ocirun.E2ETests.Harness;

/// <summary>What a removed container must not leave behind on the host.</summary>
public static class Leaks
{
    /// <summary>The runtimes' state directories (their default --root) checked for leftovers.</summary>
    private static readonly string[] StateRoots = ["/run/ocirun", "/run/runc"];

    /// <summary>
    /// Runtime state directories and cgroup directories (cgroup v1 hierarchies and the v2
    /// tree) still named after one of the given container IDs; waits up to 3 s for them to go (cleanup is asynchronous in
    /// conmon's exit path).
    /// </summary>
    public static List<string> Find(IReadOnlyCollection<string> ids)
    {
        if (ids.Count == 0)
        {
            return [];
        }
        var deadline = DateTime.UtcNow.AddSeconds(3);
        while (true)
        {
            var left = Scan(ids);
            if (left.Count == 0 || DateTime.UtcNow > deadline)
            {
                return left;
            }
            Thread.Sleep(100);
        }
    }

    private static List<string> Scan(IReadOnlyCollection<string> ids)
    {
        var state = StateRoots.SelectMany(root => ids.Select(id => Path.Combine(root, id))).Where(Directory.Exists);
        var r = Proc.Run("find", "/sys/fs/cgroup", "-mindepth", "1", "-maxdepth", "4", "-type", "d", "-name", "*libpod-*");
        return r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(d => ids.Any(id => Path.GetFileName(d).Contains(id)))
            .Concat(state)
            .ToList();
    }
}
