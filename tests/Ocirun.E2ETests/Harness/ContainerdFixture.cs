using System.Diagnostics;
using Xunit;

namespace Ocirun.E2ETests.Harness;

[CollectionDefinition(Name)]
public sealed class ContainerdCollection : ICollectionFixture<ContainerdFixture>
{
    public const string Name = "containerd";
}

/// <summary>
/// A private containerd (config, root, state and socket in a temporary directory, the CRI
/// plugin disabled) with the busybox rootfs imported as an image into a namespace of its own.
/// containerd's runc shim calls the runtime with --root /run/containerd/runc/NAMESPACE, so the
/// unique namespace keeps this run's runtime state apart from everything else on the machine.
/// Dispose removes every task, container, image and snapshot, the namespace, the daemon, its
/// shims, mounts, cgroups and directories, and then reports anything it had to clean up by force.
/// </summary>
public class ContainerdFixture : IDisposable
{
    public const string Image = "localhost/ocirun-e2e-busybox:latest";
    public const string RuncBinary = "/usr/sbin/runc";

    private readonly Process? daemon;
    private readonly List<string> leaks = new();

    public ContainerdFixture() : this(cri: false)
    {
    }

    /// <summary>
    /// With cri, the CRI plugin is on (it keeps everything in the k8s.io namespace) with a
    /// runtime class per runtime whose shim runs it with a state root of this fixture's, and
    /// the pause image is imported as well.
    /// </summary>
    protected ContainerdFixture(bool cri)
    {
        Dir = Directory.CreateTempSubdirectory("ocirun-e2e-ctrd-").FullName;
        var tag = Guid.NewGuid().ToString("n")[..10];
        Namespace = cri ? "k8s.io" : "ocirun-e2e-" + tag;
        RuntimeRoot = cri ? "/run/ocirun-e2e-cri-" + tag : Path.Combine("/run/containerd/runc", Namespace);
        CgroupParent = cri ? "ocirun-e2e-cri-" + tag : Namespace;
        Socket = Path.Combine(Dir, "containerd.sock");
        Bridge = cri ? "ocirune2e" + tag[..4] : null;
        try
        {
            var rootfs = Environment.GetEnvironmentVariable("OCIRUN_ROOTFS");
            if (string.IsNullOrEmpty(rootfs) || !Directory.Exists(rootfs))
            {
                throw new InvalidOperationException("OCIRUN_ROOTFS must name the busybox rootfs (scripts/rootfs.sh)");
            }
            var config = Path.Combine(Dir, "config.toml");
            File.WriteAllText(config, $"""
                version = 2
                root = "{Dir}/root"
                state = "{Dir}/state"
                {(cri ? CriPlugin.Config(Dir, RuntimeRoot, CriPlugin.PauseImage) : "disabled_plugins = [\"io.containerd.grpc.v1.cri\"]")}

                [grpc]
                  address = "{Socket}"

                [ttrpc]
                  address = "{Socket}.ttrpc"

                [debug]
                  address = "{Dir}/debug.sock"

                [plugins."io.containerd.internal.v1.opt"]
                  path = "{Dir}/opt"
                """);
            Directory.CreateDirectory(FifoDir);
            if (Bridge != null)
            {
                CriPlugin.WriteCniNetwork(Dir, Bridge);
                // While the pods' network exists, nothing on the host can send to it.
                ContainerdRun.Program("ip", ["route", "add", "unreachable", CriPlugin.PodSubnet]).EnsureSuccess();
                _routed = true;
            }
            // Its temporary files (a checkpoint's images, ctrd-checkpoint*, which it leaves) go in
            // the fixture's directory, not /tmp.
            Directory.CreateDirectory(Path.Combine(Dir, "tmp"));
            daemon = ContainerdRun.StartLogged("containerd", ["--config", config], DaemonLog,
                new Dictionary<string, string> { ["TMPDIR"] = Path.Combine(Dir, "tmp") });
            WaitFor(() => daemon.HasExited || ContainerdRun.Program("ctr", ["--address", Socket, "version"]).ExitCode == 0,
                TimeSpan.FromSeconds(30), "containerd to answer on its socket");
            if (daemon.HasExited)
            {
                throw new InvalidOperationException($"containerd exited with {daemon.ExitCode}\n{DaemonLogTail()}");
            }
            var archive = DockerArchive.Write(Path.Combine(Dir, "image"), rootfs, Image, cmd: ["sh"]);
            Ctr("images", "import", archive).EnsureSuccess(DaemonLogTail());
            File.Delete(archive);
            if (cri)
            {
                archive = DockerArchive.Write(Path.Combine(Dir, "pause"), CriPlugin.BuildPauseRootfs(Dir), CriPlugin.PauseImage, entrypoint: ["/pause"]);
                Ctr("images", "import", archive).EnsureSuccess(DaemonLogTail());
                File.Delete(archive);
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    private readonly bool _routed;

    /// <summary>The CNI bridge of the pods (CRI only): made by the bridge plugin at the first pod, removed at the end.</summary>
    public string? Bridge { get; }

    /// <summary>The temporary directory holding everything of this daemon.</summary>
    public string Dir { get; }

    public string Namespace { get; }

    public string Socket { get; }

    /// <summary>Where ctr makes the FIFOs of tasks and execs (its default, /run/containerd/fifo, is shared and `exec -d` leaves them behind).</summary>
    public string FifoDir => Path.Combine(Dir, "fifo");

    public string DaemonLog => Path.Combine(Dir, "containerd.log");

    /// <summary>The state root the runc shim passes to the runtime as --root.</summary>
    public string RuntimeRoot { get; }

    /// <summary>The cgroup path containers go under: /NAMESPACE for ctr, the pods' cgroup parent for CRI.</summary>
    public string CgroupParent { get; }

    /// <summary>Where the shim mounts a task's rootfs (readable from the host even while the task is paused).</summary>
    public string TaskRootfs(string id) =>
        Path.Combine(Dir, "state", "io.containerd.runtime.v2.task", Namespace, id, "rootfs");

    /// <summary>"ocirun" (OCIRUN_BIN) or "runc" (/usr/sbin/runc) as an absolute path.</summary>
    public static string RuntimeBinary(string runtime)
    {
        var path = runtime switch
        {
            "ocirun" => Environment.GetEnvironmentVariable("OCIRUN_BIN") is { Length: > 0 } bin
                ? Path.GetFullPath(bin)
                : throw new InvalidOperationException("OCIRUN_BIN must name the ocirun binary"),
            "runc" => RuncBinary,
            _ => throw new ArgumentException(runtime),
        };
        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"{runtime} binary {path} does not exist");
        }
        return path;
    }

    public ContainerdResult Ctr(params string[] args) => Ctr(args, null);

    public ContainerdResult Ctr(IEnumerable<string> args, TimeSpan? timeout) =>
        ContainerdRun.Program("ctr", new[] { "--address", Socket, "-n", Namespace }.Concat(args), timeout);

    /// <summary>Runs ctr and fails (with the end of the daemon's log) unless it exits 0.</summary>
    public ContainerdResult CtrOk(params string[] args) => Ctr(args).EnsureSuccess(DaemonLogTail());

    /// <summary>The STATUS column of `ctr task ls` for a task, or null when there is no such task.</summary>
    public (int Pid, string Status)? Task(string id)
    {
        foreach (var line in CtrOk("task", "ls").Stdout.Split('\n').Skip(1))
        {
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length >= 3 && f[0] == id)
            {
                return (int.Parse(f[1]), f[2]);
            }
        }
        return null;
    }

    public List<string> Containers() =>
        CtrOk("containers", "ls", "-q").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();

    public string DaemonLogTail(int lines = 40) => ContainerdRun.LogTail(DaemonLog, "containerd", lines);

    public static void WaitFor(Func<bool> condition, TimeSpan timeout, string what)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            if (sw.Elapsed > timeout)
            {
                throw new TimeoutException($"timed out after {timeout.TotalSeconds}s waiting for {what}");
            }
            Thread.Sleep(50);
        }
    }

    public void Dispose()
    {
        if (daemon is not null && !daemon.HasExited)
        {
            try
            {
                BeforeDaemonStops();
            }
            catch (Exception e)
            {
                leaks.Add("cleanup before the daemon stops failed: " + e.Message);
            }
            RemoveEverything();
            ContainerdRun.Signal(daemon.Id, ContainerdRun.SIGTERM);
            if (!daemon.WaitForExit(TimeSpan.FromSeconds(15)))
            {
                leaks.Add("containerd ignored SIGTERM");
                daemon.Kill(entireProcessTree: true);
                daemon.WaitForExit();
            }
        }
        daemon?.Dispose();
        KillLeftoverShims();
        if (Bridge != null && Directory.Exists($"/sys/class/net/{Bridge}"))
        {
            ContainerdRun.Program("ip", ["link", "del", Bridge]);
        }
        if (_routed)
        {
            ContainerdRun.Program("ip", ["route", "del", "unreachable", CriPlugin.PodSubnet]);
        }
        UnmountUnder(Dir);
        RemoveCgroups();
        if (Directory.Exists(RuntimeRoot))
        {
            var left = Directory.GetFileSystemEntries(RuntimeRoot);
            if (left.Length > 0)
            {
                leaks.Add($"runtime state left in {RuntimeRoot}: {string.Join(", ", left.Select(Path.GetFileName))}");
                Directory.Delete(RuntimeRoot, recursive: true);
            }
            else
            {
                Directory.Delete(RuntimeRoot);
            }
        }
        Directory.Delete(Dir, recursive: true);
        if (leaks.Count > 0)
        {
            throw new InvalidOperationException("containerd fixture had to clean up by force:\n" + string.Join('\n', leaks));
        }
    }

    /// <summary>What a derived fixture cleans up through the daemon while it still runs.</summary>
    protected virtual void BeforeDaemonStops()
    {
    }

    /// <summary>Removes what the tests left in the namespace (normally nothing) and the namespace itself.</summary>
    private void RemoveEverything()
    {
        try
        {
            foreach (var line in CtrOk("task", "ls").Stdout.Split('\n').Skip(1))
            {
                var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (f.Length >= 3)
                {
                    leaks.Add($"task {f[0]} ({f[2]})");
                    Ctr("task", "resume", f[0]);
                    Ctr("task", "kill", "-s", "SIGKILL", f[0]);
                }
            }
            foreach (var id in Containers())
            {
                leaks.Add($"container {id}");
                Ctr("task", "rm", "-f", id);
                Ctr("containers", "rm", id);
            }
            var images = CtrOk("images", "ls", "-q").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            // The CRI plugin also names each image by its id (sha256:…).
            foreach (var image in images.Where(i => i != Image && i != CriPlugin.PauseImage && !i.StartsWith("sha256:", StringComparison.Ordinal)))
            {
                leaks.Add($"image {image}");
            }
            if (images.Length > 0)
            {
                Ctr(new[] { "images", "rm", "--sync" }.Concat(images), null);
            }
            foreach (var line in CtrOk("snapshots", "ls").Stdout.Split('\n').Skip(1))
            {
                var key = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
                if (key is not null)
                {
                    Ctr("snapshots", "rm", key);
                }
            }
            ContainerdRun.Program("ctr", ["--address", Socket, "namespaces", "rm", Namespace])
                .EnsureSuccess(DaemonLogTail());
        }
        catch (Exception e)
        {
            leaks.Add("cleanup through ctr failed: " + e.Message);
        }
    }

    /// <summary>
    /// Shims outlive a dead daemon. Any still serving our socket: delete their containers with
    /// both runtimes (whichever made them) and kill them.
    /// </summary>
    private void KillLeftoverShims()
    {
        var shims = new List<int>();
        foreach (var proc in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(proc), out var pid))
            {
                continue;
            }
            try
            {
                var cmdline = File.ReadAllText(Path.Combine(proc, "cmdline")).Split('\0');
                if (cmdline.Any(a => a.Contains("containerd-shim")) && cmdline.Contains(Socket))
                {
                    shims.Add(pid);
                }
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
        if (Directory.Exists(RuntimeRoot))
        {
            foreach (var id in Directory.GetDirectories(RuntimeRoot).Select(Path.GetFileName))
            {
                foreach (var runtime in new[] { "ocirun", "runc" })
                {
                    try
                    {
                        ContainerdRun.Program(RuntimeBinary(runtime), ["--root", RuntimeRoot, "delete", "--force", id!]);
                    }
                    catch (InvalidOperationException)
                    {
                    }
                }
            }
        }
        foreach (var pid in shims)
        {
            leaks.Add($"shim {pid}");
            ContainerdRun.Signal(pid, ContainerdRun.SIGKILL);
        }
    }

    /// <summary>Unmounts (lazily, deepest first) everything mounted at or below a directory.</summary>
    public static void UnmountUnder(string dir)
    {
        var points = File.ReadAllLines("/proc/self/mountinfo")
            .Select(l => l.Split(' ')[4].Replace("\\040", " "))
            .Where(p => p == dir || p.StartsWith(dir + "/", StringComparison.Ordinal))
            .Distinct()
            .OrderByDescending(p => p.Length);
        foreach (var p in points)
        {
            ContainerdRun.Program("umount", ["-l", p]);
        }
    }

    /// <summary>Paths of the cgroup directories `ctr` puts this namespace's containers under (/NAMESPACE/ID).</summary>
    public IEnumerable<string> CgroupDirs(string? id = null) => CgroupTree.Dirs(id is null ? CgroupParent : Path.Combine(CgroupParent, id));

    /// <summary>The runtimes remove the containers' cgroups; the parent, created on the way, is ours to remove.</summary>
    private void RemoveCgroups() => CgroupTree.Remove(CgroupParent, leaks);
}
