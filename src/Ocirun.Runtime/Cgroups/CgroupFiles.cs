using Ocirun.Runtime.Linux;

namespace Ocirun.Runtime.Cgroups;

/// <summary>What every driver does the same way with a cgroup directory: write a limit, list and remove.</summary>
public static class CgroupFiles
{
    /// <summary>Creates a container's directory in one hierarchy, a refusal in runc's words.</summary>
    public static void MakeDir(string dir)
    {
        try
        {
            Directory.CreateDirectory(dir);
        }
        catch (UnauthorizedAccessException)
        {
            // .NET's word for EACCES and EPERM; other errors reach the CLI's own mapping.
            throw new ContainerException($"unable to apply cgroup configuration: mkdir {dir}: permission denied");
        }
    }

    /// <summary>Writes w into dir: its fallback file where the first is missing, nothing for a missing optional one.</summary>
    public static void Write(CgroupWrite w, string dir)
    {
        var file = Path.Combine(dir, w.File);
        if (!File.Exists(file) && w.Fallback is { } fallback)
        {
            file = Path.Combine(dir, fallback);
        }
        if (!File.Exists(file) && w.Optional)
        {
            return;
        }
        if (!File.Exists(file))
        {
            throw new ContainerException($"{w.File} is not supported by this host's {w.Controller} cgroup");
        }
        WriteRule(file, w.Value);
    }

    /// <summary>
    /// Writes one value, with the kernel's refusal in runc's words: `failed to write "254:0 300":
    /// write /sys/fs/cgroup/…/blkio.bfq.weight_device: operation not supported`.
    /// </summary>
    public static void WriteRule(string file, string value)
    {
        try
        {
            Sys.WriteFile(file, value);
        }
        catch (LinuxException e)
        {
            throw new ContainerException($"failed to write {Quoting.Go(value)}: {e.Message}");
        }
    }

    /// <summary>The pids in dir's cgroup.procs; none when it is gone.</summary>
    public static List<int> Procs(string dir)
    {
        try
        {
            return File.ReadAllLines(Path.Combine(dir, "cgroup.procs")).Where(l => l.Length > 0).Select(int.Parse).ToList();
        }
        catch (IOException)
        {
            return [];
        }
    }

    /// <summary>
    /// Kills what is left in dirs and removes them, with the sub-cgroups the container made
    /// (their processes first, deepest directory first); tolerates a partial state.
    /// </summary>
    public static void RemoveTrees(IReadOnlyCollection<string> dirs)
    {
        for (int attempt = 0; attempt < 100; attempt++)
        {
            var all = dirs.Where(Directory.Exists).SelectMany(Subtree).ToList();
            foreach (var dir in all)
            {
                foreach (var pid in Procs(dir))
                {
                    Interop.Libc.kill(pid, Interop.Consts.SIGKILL);
                }
            }
            bool left = false;
            foreach (var dir in all)
            {
                try
                {
                    Directory.Delete(dir);
                }
                catch (IOException)
                {
                    left = true;
                }
            }
            if (!left)
            {
                return;
            }
            Thread.Sleep(10);
        }
        throw new ContainerException("failed to remove cgroups: " + string.Join(" ", dirs.Where(Directory.Exists)));
    }

    /// <summary>dir and every cgroup below it, deepest first.</summary>
    private static IEnumerable<string> Subtree(string dir)
    {
        IEnumerable<string> below;
        try
        {
            below = Directory.GetDirectories(dir, "*", SearchOption.AllDirectories);
        }
        catch (DirectoryNotFoundException)
        {
            below = [];
        }
        return below.OrderByDescending(d => d.Count(c => c == '/')).Append(dir);
    }
}
