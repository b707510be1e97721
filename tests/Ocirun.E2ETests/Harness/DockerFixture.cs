using System.Diagnostics;
using System.Text.Json;
using Xunit;

namespace Ocirun.E2ETests.Harness;

[CollectionDefinition(Name)]
public sealed class DockerCollection : ICollectionFixture<DockerFixture>
{
    public const string Name = "docker";
}

/// <summary>
/// A private dockerd (Debian's docker.io) with a configuration of its own: data, exec root,
/// socket and pid file in a temporary directory, no bridge, no iptables, experimental on (for
/// checkpoints), ocirun registered as a runtime next to runc, containers in a cgroup parent
/// of its own. The busybox rootfs is imported as the image. Containers run with
/// `--network none` only. Dispose removes containers, the daemon and its containerd, their
/// mounts, cgroups and directories, and reports anything it had to clean up by force.
/// </summary>
public sealed class DockerFixture : IDisposable
{
    public const string Image = "ocirun-e2e-busybox";
    /// <summary>The docker client of the docker.io package (another may come first in PATH).</summary>
    private const string Client = "/usr/bin/docker";

    private readonly Process? _daemon;
    private readonly List<string> _leaks = [];
    private readonly bool _hadRunDocker = Directory.Exists("/run/docker");

    public DockerFixture()
    {
        Dir = Directory.CreateTempSubdirectory("ocirun-e2e-docker-").FullName;
        CgroupParent = "ocirun-e2e-docker-" + Guid.NewGuid().ToString("n")[..8];
        try
        {
            var config = Path.Combine(Dir, "daemon.json");
            File.WriteAllText(config, JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["data-root"] = Path.Combine(Dir, "data"),
                ["exec-root"] = Path.Combine(Dir, "exec"),
                ["pidfile"] = Path.Combine(Dir, "docker.pid"),
                ["hosts"] = new[] { "unix://" + Socket },
                ["bridge"] = "none",
                ["iptables"] = false,
                ["ip-forward"] = false,
                ["ip-masq"] = false,
                ["experimental"] = true,
                ["cgroup-parent"] = "/" + CgroupParent,
                // The README's daemon.json block as it stands.
                ["runtimes"] = System.Text.Json.Nodes.JsonNode.Parse(Ocirun.Tests.Shared.ReadmeBlock.Get("docker", E2EEnv.Bin))!["runtimes"]!.DeepClone(),
            }));
            // Its temporary files (docker checkpoint's ctrd-checkpoint* image directories, which
            // it does not always remove) go into the fixture's directory, not the host's /tmp.
            var tmp = Directory.CreateDirectory(Path.Combine(Dir, "tmp")).FullName;
            _daemon = ContainerdRun.StartLogged("dockerd", ["--config-file", config], DaemonLog, new Dictionary<string, string> { ["TMPDIR"] = tmp });
            ContainerdFixture.WaitFor(() => _daemon.HasExited || Docker("version").ExitCode == 0,
                TimeSpan.FromSeconds(60), "dockerd to answer on its socket");
            if (_daemon.HasExited)
            {
                throw new InvalidOperationException($"dockerd exited with {_daemon.ExitCode}\n{DaemonLogTail()}");
            }
            var tar = ContainerdRun.Program("sh", ["-c", $"tar -C {ProcQuote(E2EEnv.Rootfs)} -c . | {Client} -H unix://{Socket} import - {Image}"]);
            tar.EnsureSuccess(DaemonLogTail());
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string Dir { get; }

    public string Socket => Path.Combine(Dir, "docker.sock");

    /// <summary>The cgroup (relative to the root of each hierarchy) every container goes below.</summary>
    public string CgroupParent { get; }

    private string DaemonLog => Path.Combine(Dir, "dockerd.log");

    public ProcResult Docker(params string[] args) => Docker(args, null);

    public ProcResult Docker(IEnumerable<string> args, TimeSpan? timeout) =>
        ContainerdRun.Program(Client, new[] { "-H", "unix://" + Socket }.Concat(args), timeout);

    /// <summary>Runs docker and fails (with the end of the daemon's log) unless it exits 0.</summary>
    public ProcResult DockerOk(params string[] args) => Docker(args).EnsureSuccess(DaemonLogTail());

    /// <summary>A file of a container's cgroup in one v1 hierarchy (or the cgroup2 tree).</summary>
    public string CgroupFile(string controller, string containerId, string file)
    {
        var root = File.Exists("/sys/fs/cgroup/cgroup.controllers") ? "/sys/fs/cgroup" : Path.Combine("/sys/fs/cgroup", controller);
        return File.ReadAllText(Path.Combine(root, CgroupParent, containerId, file)).Trim();
    }

    public string DaemonLogTail(int lines = 40) => ContainerdRun.LogTail(DaemonLog, "dockerd", lines);

    private static string ProcQuote(string s) => Proc.Quote(s);

    public void Dispose()
    {
        if (_daemon is not null && !_daemon.HasExited)
        {
            var left = Docker("ps", "-aq").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            foreach (var id in left)
            {
                _leaks.Add($"container {id}");
                Docker("rm", "-f", id);
            }
            ContainerdRun.Signal(_daemon.Id, ContainerdRun.SIGTERM);
            if (!_daemon.WaitForExit(TimeSpan.FromSeconds(30)))
            {
                _leaks.Add("dockerd ignored SIGTERM");
                _daemon.Kill(entireProcessTree: true);
                _daemon.WaitForExit();
            }
        }
        _daemon?.Dispose();
        ContainerdFixture.UnmountUnder(Dir);
        CgroupTree.Remove(CgroupParent, _leaks);
        if (!_hadRunDocker && Directory.Exists("/run/docker"))
        {
            // dockerd always makes /run/docker/plugins, whatever its exec root.
            Directory.Delete("/run/docker", recursive: true);
        }
        Directory.Delete(Dir, recursive: true);
        if (_leaks.Count > 0)
        {
            throw new InvalidOperationException("docker fixture had to clean up by force:\n" + string.Join('\n', _leaks));
        }
    }
}
