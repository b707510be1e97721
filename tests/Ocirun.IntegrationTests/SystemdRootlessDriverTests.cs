using System.Text.Json;
using Ocirun.IntegrationTests.Harness;
using Ocirun.Runtime.Container;

namespace Ocirun.IntegrationTests;

/// <summary>Two systemd hosts (cgroup2 only, and hybrid as this VM) where a user has a systemd of its own.</summary>
public sealed class SystemdUserMachinesFixture : IDisposable
{
    public const string User = "ocirun-sd";
    public const uint Uid = 2345;

    public SystemdUserMachinesFixture()
    {
        Cgroup2 = new SystemdMachine(cgroup2: true, userSessions: true);
        try
        {
            Cgroup2.AddUser(User, Uid);
            Hybrid = new SystemdMachine(userSessions: true);
            Hybrid.AddUser(User, Uid);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public SystemdMachine Cgroup2 { get; }
    public SystemdMachine? Hybrid { get; }

    public void Dispose()
    {
        Hybrid?.Dispose();
        Cgroup2.Dispose();
    }
}

/// <summary>
/// --systemd-cgroup run by a user (rootless): the scope is made by the user's own systemd over
/// its session bus, below that manager's cgroup, side by side with runc 1.3.6; on a host with
/// v1 hierarchies it is refused in runc's words. This host's cgroup2 has no controllers, so no
/// limit can apply in the cgroup2 machine: the scope, its place, pause, exec and delete are tested.
/// </summary>
public sealed class SystemdRootlessDriverTests(SystemdUserMachinesFixture f) : IClassFixture<SystemdUserMachinesFixture>, IDisposable
{
    private const string User = SystemdUserMachinesFixture.User;
    private const uint Uid = SystemdUserMachinesFixture.Uid;
    private readonly List<Bundle> _bundles = [];

    private static CommandResult As(SystemdMachine m, params string[] args) => m.AsUser(User, Uid, args);

    /// <summary>A `spec --rootless` bundle of the machine's user (uid Uid, group users) running sleep.</summary>
    private Bundle NewBundle(string cgroupsPath)
    {
        var b = new Bundle("sleep", "300");
        _bundles.Add(b);
        var rootless = DefaultSpec.Rootless(Uid, 100);
        b.Spec.Linux!.Namespaces = rootless.Linux!.Namespaces;
        b.Spec.Linux.UidMappings = rootless.Linux.UidMappings;
        b.Spec.Linux.GidMappings = rootless.Linux.GidMappings;
        b.Spec.Linux.Resources = null;
        b.Spec.Mounts = rootless.Mounts;
        b.Spec.Linux.CgroupsPath = cgroupsPath;
        b.Write();
        Run.Program("chown", ["-R", $"{Uid}:100", b.Dir]).EnsureSuccess();
        return b;
    }

    public void Dispose()
    {
        foreach (var m in new[] { f.Cgroup2, f.Hybrid! })
        {
            foreach (var (bin, root) in new[] { (m.Bin, $"/run/user/{Uid}/ocirun"), (TestEnv.Runc13, $"/run/user/{Uid}/runc") })
            {
                foreach (var id in m.Shell($"ls {root} 2>/dev/null").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
                {
                    As(m, bin, "--systemd-cgroup", "delete", "--force", id);
                }
            }
        }
        foreach (var b in _bundles)
        {
            b.Dispose();
        }
    }

    [Fact]
    public void TheUsersSystemdMakesTheScopeAsForRunc()
    {
        var m = f.Cgroup2;
        var manager = $"/user.slice/user-{Uid}.slice/user@{Uid}.service";
        foreach (var (bin, prefix) in new[] { (TestEnv.Runc13, "runc"), (m.Bin, "ocirun") })
        {
            var id = "rl" + Guid.NewGuid().ToString("n")[..8];
            var unit = $"{prefix}-{id}.scope";
            var b = NewBundle($"user.slice:{prefix}:{id}");
            m.Shell($"runuser -u {User} -- env XDG_RUNTIME_DIR=/run/user/{Uid} {bin} --systemd-cgroup run -d --bundle {b.Dir} {id} </dev/null >/dev/null")
                .EnsureSuccess(prefix);
            var show = As(m, "systemctl", "--user", "show", unit, "-p", "ActiveState", "-p", "Delegate", "-p", "ControlGroup").EnsureSuccess().Stdout;
            Assert.Equal($"ActiveState=active\nControlGroup={manager}/user.slice/{unit}\nDelegate=yes\n",
                string.Join('\n', show.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order()) + "\n");
            int pid = JsonDocument.Parse(As(m, bin, "state", id).EnsureSuccess().Stdout).RootElement.GetProperty("pid").GetInt32();
            // The cgroup2 line (the host's v1 hierarchies, which the machine does not see, are listed too).
            Assert.Equal($"0::{manager}/user.slice/{unit}",
                m.Exec("cat", $"/proc/{pid}/cgroup").EnsureSuccess().Stdout.Split('\n').Single(l => l.StartsWith("0::", StringComparison.Ordinal)));

            if (prefix == "ocirun")
            {
                As(m, bin, "pause", id).EnsureSuccess();
                Assert.Contains("\"paused\"", As(m, bin, "state", id).Stdout);
                As(m, bin, "resume", id).EnsureSuccess();
                // The exec'd process stays out of a scope it may not join from outside the
                // user's systemd, as with runc; it runs all the same.
                Assert.Equal("0\n", As(m, bin, "exec", id, "id", "-u").EnsureSuccess().Stdout);
                Assert.Contains(pid.ToString(), As(m, bin, "ps", id).EnsureSuccess().Stdout);
            }
            As(m, bin, "--systemd-cgroup", "delete", "--force", id).EnsureSuccess();
            Assert.Equal("inactive", As(m, "systemctl", "--user", "show", unit, "-p", "ActiveState", "--value").Stdout.Trim());
        }
    }

    [Fact]
    public void OnAHostWithV1HierarchiesARootlessScopeIsRefusedInRuncsWords()
    {
        var m = f.Hybrid!;
        foreach (var bin in new[] { TestEnv.Runc13, m.Bin })
        {
            var id = "rl" + Guid.NewGuid().ToString("n")[..8];
            var b = NewBundle($"user.slice:x:{id}");
            var r = As(m, bin, "--systemd-cgroup", "run", "--bundle", b.Dir, id);
            Assert.NotEqual(0, r.ExitCode);
            Assert.Contains("cannot use rootless systemd cgroups manager on cgroup v1", r.Stderr);
            Assert.Equal("", As(m, bin, "list", "-q").Stdout);
        }
    }
}
