using Ocirun.IntegrationTests.Harness;
using Ocirun.Runtime.Cgroups;
using Ocirun.Spec.Model;

namespace Ocirun.IntegrationTests;

/// <summary>
/// The cgroup v2 device program, attached to a directory of this host's cgroup2 tree (the
/// kernel enforces it there even on a hybrid host).
/// </summary>
public sealed class DeviceProgramTests : IDisposable
{
    private readonly string _dir = "/sys/fs/cgroup/unified/ocirun-it-bpf-" + Guid.NewGuid().ToString("n")[..8];

    public DeviceProgramTests() => Directory.CreateDirectory(_dir);

    // The shell that joined the cgroup has been reaped, but the kernel may unlink it from the
    // cgroup a moment later: rmdir is retried while the directory is busy.
    public void Dispose() => LifecycleTests.WaitFor(() =>
    {
        try
        {
            Directory.Delete(_dir);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    });

    [Fact]
    public void DeniedDevicesCannotBeOpenedAndAllowedOnesCan()
    {
        DeviceProgramLoader.Attach(_dir, DeviceProgram.Build(
        [
            new DeviceCgroup { Allow = false, Access = "rwm" },
            new DeviceCgroup { Allow = true, Type = "c", Major = 1, Minor = 5, Access = "rwm" },
            new DeviceCgroup { Allow = true, Type = "c", Major = 1, Minor = 9, Access = "r" },
        ]));
        var r = Harness.Run.Program("sh", ["-c",
            $"echo $$ > {_dir}/cgroup.procs; head -c1 /dev/zero | wc -c; head -c1 /dev/urandom | wc -c; " +
            "(echo x > /dev/urandom) 2>&1; (echo x > /dev/null) 2>&1; echo done"]);
        var lines = r.Stdout.Split('\n');
        Assert.Equal("1", lines[0].Trim());
        Assert.Equal("1", lines[1].Trim());
        Assert.Contains("Operation not permitted", lines[2]);
        Assert.Contains("Operation not permitted", lines[3]);
        Assert.Equal("done", lines[4]);
    }
}
