namespace Ocirun.E2ETests.Harness;

/// <summary>
/// A named network namespace (`ip netns add`) with its loopback up, as on a real host: CRIU
/// probes TCP repair over loopback in the namespace it runs in, and restore fails
/// ("Unable to connect a socket") if lo is down.
///
/// Commands enter it with `nsenter --net=/run/netns/NAME`, not `ip netns exec NAME`: the
/// latter also remounts /sys for the namespace, which hides the cgroup v1 hierarchy
/// mounted under /sys/fs/cgroup, and then no runtime (runc or ocirun) can create a
/// container there.
/// </summary>
public sealed class NetNs : IDisposable
{
    public NetNs(string name)
    {
        Name = name;
        // A namespace left by an interrupted earlier run.
        Proc.Run("ip", "netns", "delete", name);
        Proc.Run("ip", "netns", "add", name).EnsureSuccess();
        Proc.Run("ip", "netns", "exec", name, "ip", "link", "set", "lo", "up").EnsureSuccess();
    }

    public string Name { get; }

    public string[] Prefix => ["nsenter", $"--net=/run/netns/{Name}"];

    public void Dispose() => PodmanHost.Try(() => Proc.Run("ip", "netns", "delete", Name).EnsureSuccess());
}
