namespace Ocirun.E2ETests.Harness;

/// <summary>
/// One Podman "host": private storage (--root), run root (--runroot), libpod tmp dir
/// (--tmpdir), network config dir and containers.conf files, all under one directory, so
/// nothing touches the machine's own Podman state. Optionally in a network namespace
/// of its own (see <see cref="NetNs"/>). <see cref="For"/> gives the Podman front end that
/// uses one OCI runtime.
/// </summary>
public sealed class PodmanHost : IDisposable
{
    public static readonly string[] Runtimes = ["ocirun", "runc"];

    public PodmanHost(string name, NetNs? netns = null)
    {
        Dir = Path.Combine(E2EEnv.Base, $"{name}-{Guid.NewGuid().ToString("n")[..8]}");
        NetNs = netns;
        Directory.CreateDirectory(Path.Combine(Dir, "networks"));
        foreach (var rt in Runtimes)
        {
            File.WriteAllText(ConfPath(rt), Conf(rt));
        }
    }

    public string Dir { get; }

    public string Root => Path.Combine(Dir, "root");

    public string RunRoot => Path.Combine(Dir, "runroot");

    public string TmpDir => Path.Combine(Dir, "tmp");

    public NetNs? NetNs { get; }

    public string ConfPath(string runtime) => Path.Combine(Dir, $"containers-{runtime}.conf");

    public Podman For(string runtime) => new(this, runtime);

    /// <summary>
    /// CONTAINERS_CONF replaces the system's configuration, so this is all Podman reads. Its
    /// ocirun runtime and JSON list are the lines of the README's drop-in block.
    /// default_ulimits: root here lacks CAP_SYS_RESOURCE, so Podman's default (raising
    /// nofile/nproc to the hard maximum) would fail. network_config_dir is private so that
    /// cleanup never sees the machine's own networks.
    /// </summary>
    private static string DropInLine(string key) =>
        Ocirun.Tests.Shared.ReadmeBlock.Get("podman", E2EEnv.Bin).Split('\n').Single(l => l.StartsWith(key + " = ", StringComparison.Ordinal));

    private string Conf(string runtime) => $"""
        [containers]
        default_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]
        log_driver = "k8s-file"

        [network]
        network_backend = "netavark"
        network_config_dir = "{Path.Combine(Dir, "networks")}"

        [engine]
        runtime = "{runtime}"
        cgroup_manager = "cgroupfs"
        events_logger = "file"
        {DropInLine("runtime_supports_json")}

        [engine.runtimes]
        {DropInLine("ocirun")}
        runc = ["/usr/sbin/runc", "/usr/bin/runc", "/usr/local/sbin/runc", "/usr/local/bin/runc"]

        """;

    /// <summary>Imports the busybox rootfs as localhost/busybox:latest.</summary>
    public void ImportRootfs()
    {
        Proc.Run(["sh", "-c", "root=$1; shift; tar -C \"$root\" -c . | \"$@\"", "import-rootfs", E2EEnv.Rootfs,
            .. For("ocirun").Argv("import", "-q", "-", E2EEnv.Image)],
            TimeSpan.FromSeconds(120), env: Env("ocirun")).EnsureSuccess();
    }

    /// <summary>Full IDs of all containers of this host.</summary>
    public List<string> ContainerIds() =>
        For("ocirun").Ok("ps", "-a", "-q", "--no-trunc").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();

    internal Dictionary<string, string> Env(string runtime) => new() { ["CONTAINERS_CONF"] = ConfPath(runtime) };

    /// <summary>
    /// Removes every container, volume and image of this host, then its directories (the
    /// equivalent of `podman system reset -f`, which would also clear the machine-wide
    /// blob-info cache). Never throws: it runs after failed tests too.
    /// </summary>
    public void Dispose()
    {
        if (Directory.Exists(Root))
        {
            var p = For("ocirun");
            foreach (var args in new[]
            {
                new[] { "rm", "-a", "-f", "-v", "-t", "0" },
                ["pod", "rm", "-a", "-f"],
                ["volume", "rm", "-a", "-f"],
                ["rmi", "-a", "-f"],
            })
            {
                Try(() => p.Run(args));
            }
        }
        // Anything still mounted under the host's directory (overlay, shm, netns files).
        Try(() => Proc.Run("sh", "-c",
            "grep -o \" $0[^ ]*\" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l", Dir));
        Try(() => Directory.Delete(Dir, recursive: true));
    }

    internal static void Try(Action a)
    {
        try
        {
            a();
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"cleanup: {e.Message}");
        }
    }
}
