using System.Runtime.InteropServices;
using Ocirun.IntegrationTests.Harness;

namespace Ocirun.IntegrationTests;

/// <summary>Tests that change how the host's cgroup2 tree is mounted run alone, not beside others.</summary>
[CollectionDefinition(nameof(HostCgroupMount), DisableParallelization = true)]
public sealed class HostCgroupMount;

/// <summary>
/// cgroup2 mounted with nsdelegate, as systemd mounts it: the kernel then refuses to move a
/// process into a cgroup from inside a cgroup namespace whose root does not hold the process's
/// old cgroup. The native stage must therefore place the init before it joins the container's
/// cgroup namespace; exec is where that shows.
/// </summary>
[Collection(nameof(HostCgroupMount))]
public sealed class NsDelegateTests : IDisposable
{
    private const ulong MS_REMOUNT = 32;
    private readonly Harness.Runtime _rt = new();
    private readonly (string MountPoint, string Options)? _restore;

    public NsDelegateTests()
    {
        var line = File.ReadAllLines("/proc/self/mountinfo").FirstOrDefault(l => l.Contains(" - cgroup2 "));
        if (line == null)
        {
            return;
        }
        var mountPoint = line.Split(' ')[4];
        // Remounting sets exactly the options given: keep the others.
        var options = line[(line.IndexOf(" - cgroup2 ", StringComparison.Ordinal) + 11)..].Split(' ')[1]
            .Split(',').Where(o => o is not ("rw" or "ro")).ToList();
        if (!options.Contains("nsdelegate"))
        {
            Remount(mountPoint, string.Join(',', options.Append("nsdelegate")));
            _restore = (mountPoint, string.Join(',', options));
        }
    }

    public void Dispose()
    {
        try
        {
            _rt.Dispose();
        }
        finally
        {
            if (_restore is var (mountPoint, options))
            {
                Remount(mountPoint, options);
            }
        }
    }

    [Fact]
    public void ExecIntoAContainerWithItsOwnCgroupNamespaceWorks()
    {
        var cgroup2 = File.ReadAllLines("/proc/self/mountinfo").Where(l => l.Contains(" - cgroup2 ")).ToList();
        if (cgroup2.Count == 0)
        {
            return; // A cgroup v1-only host has nothing to delegate.
        }
        Assert.Contains("nsdelegate", cgroup2[0]);
        using var b = new Bundle("sleep", "300");
        Assert.Contains(b.Spec.Linux!.Namespaces!, n => n.Type == "cgroup");
        _rt.RunDetached(b.Dir, "c1", "sleep");
        var r = _rt.Exec("exec", "c1", "cat", "/proc/self/cgroup");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("0::/\n", r.Stdout);
    }

    private static void Remount(string mountPoint, string options)
    {
        if (mount("none", mountPoint, null, MS_REMOUNT, options) != 0)
        {
            throw new IOException($"remount {mountPoint} with \"{options}\": errno {Marshal.GetLastPInvokeError()}");
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int mount(string source, string target, string? type, ulong flags, string data);
}
