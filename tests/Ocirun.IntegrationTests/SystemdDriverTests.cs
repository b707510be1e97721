using Ocirun.IntegrationTests.Harness;
using Ocirun.Spec.Model;

namespace Ocirun.IntegrationTests;

/// <summary>One booted systemd host for the class (about 1.5 s to start).</summary>
public sealed class SystemdMachineFixture : IDisposable
{
    public SystemdMachine Machine { get; } = new();

    public void Dispose() => Machine.Dispose();
}

/// <summary>
/// --systemd-cgroup on a host where systemd is PID 1 (this machine's OS booted in nspawn,
/// hybrid cgroups as here), side by side with runc 1.3.6 on the same bundles: the scope unit,
/// its properties and cgroup files, exec, update, pause, delete, a failed create, checkpoint
/// and restore.
/// </summary>
public sealed class SystemdDriverTests(SystemdMachineFixture fixture) : IClassFixture<SystemdMachineFixture>, IDisposable
{
    private readonly SystemdMachine _m = fixture.Machine;
    private readonly string _root = "/run/ocirun-sd-" + Guid.NewGuid().ToString("n")[..8];
    private readonly string _runcRoot = "/run/runc-sd-" + Guid.NewGuid().ToString("n")[..8];
    private readonly List<Bundle> _bundles = [];
    private readonly List<string> _dirs = [];

    /// <summary>The properties the driver sets from a spec, compared with runc's.</summary>
    private static readonly string[] Compared =
    [
        "ActiveState", "Slice", "Delegate", "DefaultDependencies", "MemoryLimit", "TasksMax", "CPUShares",
        "CPUQuotaPerSecUSec", "MemoryAccounting", "CPUAccounting", "TasksAccounting", "DevicePolicy",
    ];

    private CommandResult Ocirun(params string[] args) => _m.Exec([_m.Bin, "--root", _root, .. args]);

    private CommandResult Runc(params string[] args) => _m.Exec([TestEnv.Runc13, "--root", _runcRoot, .. args]);

    /// <summary>Detached, with the machine's /dev/null as stdio (a checkpoint needs stdio it can see).</summary>
    private CommandResult RunDetached(string runtime, string root, Bundle b, string id) =>
        _m.Shell($"{runtime} --root {root} --systemd-cgroup run -d --bundle {b.Dir} {id} </dev/null >/dev/null 2>&1");

    private Bundle NewBundle(string cgroupsPath, params string[] args)
    {
        var b = new Bundle(args);
        b.Spec.Linux!.CgroupsPath = cgroupsPath;
        b.Spec.Linux.Resources = new Resources
        {
            Devices = b.Spec.Linux.Resources?.Devices,
            Memory = new MemoryResources { Limit = 64 << 20 },
            Pids = new PidsResources { Limit = 50 },
            Cpu = new CpuResources { Shares = 512, Quota = 50000, Period = 100000 },
        };
        b.Write();
        _bundles.Add(b);
        return b;
    }

    private static string Id() => "sd" + Guid.NewGuid().ToString("n")[..8];

    public void Dispose()
    {
        foreach (var (rt, root) in new[] { (_m.Bin, _root), (TestEnv.Runc13, _runcRoot) })
        {
            var ids = _m.Shell($"ls {root} 2>/dev/null").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            foreach (var id in ids)
            {
                _m.Exec(rt, "--root", root, "delete", "--force", id);
            }
            _m.Exec("rm", "-rf", root);
        }
        foreach (var b in _bundles)
        {
            b.Dispose();
        }
        foreach (var d in _dirs)
        {
            Directory.Delete(d, recursive: true);
        }
    }

    [Fact]
    public void TheScopeCarriesTheSpecsLimitsAsRuncsDoes()
    {
        string oid = Id(), rid = Id();
        var ob = NewBundle($"machine.slice:ocirun:{oid}", "sleep", "300");
        var rb = NewBundle($"machine.slice:runc:{rid}", "sleep", "300");
        RunDetached(_m.Bin, _root, ob, oid).EnsureSuccess();
        RunDetached(TestEnv.Runc13, _runcRoot, rb, rid).EnsureSuccess();
        string ounit = $"ocirun-{oid}.scope", runit = $"runc-{rid}.scope";
        foreach (var p in Compared)
        {
            Assert.True(_m.Property(runit, p) == _m.Property(ounit, p), $"{p}: runc {_m.Property(runit, p)}, ocirun {_m.Property(ounit, p)}");
        }
        Assert.Equal("active", _m.Property(ounit, "ActiveState"));
        Assert.Equal("67108864", _m.Property(ounit, "MemoryLimit"));
        Assert.Equal("strict", _m.Property(ounit, "DevicePolicy"));
        // The init is in the scope in every hierarchy, and so is an exec'd process (seen from
        // the machine: inside, the container's cgroup namespace shows its root as "/").
        Ocirun("exec", "-d", oid, "sleep", "77").EnsureSuccess();
        var execd = _m.Exec("pgrep", "-f", "^sleep 77").EnsureSuccess().Stdout.Trim();
        foreach (var pid in new[] { InitPid(oid).ToString(), execd })
        {
            var cgroup = _m.Exec("cat", $"/proc/{pid}/cgroup").EnsureSuccess().Stdout;
            Assert.All(cgroup.Split('\n', StringSplitOptions.RemoveEmptyEntries),
                line => Assert.EndsWith($":/machine.slice/{ounit}", line));
        }
        // What systemd has no say in is written as with cgroupfs, in the same place as runc's.
        string Files(string unit) => _m.Shell(
            $"cd /sys/fs/cgroup && cat memory/machine.slice/{unit}/memory.limit_in_bytes pids/machine.slice/{unit}/pids.max "
            + $"cpu/machine.slice/{unit}/cpu.shares cpu/machine.slice/{unit}/cpu.cfs_quota_us devices/machine.slice/{unit}/devices.list | sort")
            .EnsureSuccess().Stdout;
        // tun: runc allows it by default, ocirun not (CgroupTests.TheDefaultDevicesAreRuncsWithoutTun).
        Assert.Equal(Files(runit).Replace("c 10:200 rwm\n", ""), Files(ounit));
        Assert.Contains("67108864", Files(ounit));
    }

    [Fact]
    public void UpdatePauseAndDeleteGoThroughTheScope()
    {
        var id = Id();
        var unit = $"ocirun-{id}.scope";
        RunDetached(_m.Bin, _root, NewBundle($"machine.slice:ocirun:{id}", "sleep", "300"), id).EnsureSuccess();

        Ocirun("update", "--memory", "100M", "--pids-limit", "70", "--cpu-quota", "25000", id).EnsureSuccess();
        // systemd knows the new limits (it would put the old ones back on its next realization) and so do the files.
        Assert.Equal("104857600", _m.Property(unit, "MemoryLimit"));
        Assert.Equal("70", _m.Property(unit, "TasksMax"));
        Assert.Equal("250ms", _m.Property(unit, "CPUQuotaPerSecUSec"));
        _m.Exec("systemctl", "daemon-reload").EnsureSuccess();
        Assert.Equal("104857600\n", _m.Exec("cat", $"/sys/fs/cgroup/memory/machine.slice/{unit}/memory.limit_in_bytes").Stdout);
        Assert.Contains("\"limit\":104857600", Ocirun("events", "--stats", id).EnsureSuccess().Stdout);

        Ocirun("pause", id).EnsureSuccess();
        Assert.Equal("FROZEN\n", _m.Exec("cat", $"/sys/fs/cgroup/freezer/machine.slice/{unit}/freezer.state").Stdout);
        Assert.Contains("\"paused\"", Ocirun("state", id).Stdout);
        Ocirun("resume", id).EnsureSuccess();
        Assert.Contains("\"running\"", Ocirun("state", id).Stdout);

        Ocirun("delete", "--force", id).EnsureSuccess();
        Assert.Equal("not-found", _m.Property(unit, "LoadState"));
        Assert.Equal("", _m.Shell($"ls -d /sys/fs/cgroup/*/machine.slice/{unit} 2>/dev/null").Stdout);
    }

    [Fact]
    public void ACgroupsPathNotInSystemdsFormIsRefusedInRuncsWords()
    {
        var b = NewBundle("/not/a/unit");
        var o = Ocirun("--systemd-cgroup", "run", "--bundle", b.Dir, Id());
        var r = Runc("--systemd-cgroup", "run", "--bundle", b.Dir, Id());
        const string words = "expected cgroupsPath to be of format \"slice:prefix:name\" for systemd cgroups, got \"/not/a/unit\" instead";
        // Both log the message as a logfmt value, its quotes escaped.
        Assert.Contains(words, r.Stderr.Replace("\\\"", "\""));
        Assert.NotEqual(0, o.ExitCode);
        Assert.Contains(words, o.Stderr.Replace("\\\"", "\""));
        Assert.Equal("", _m.Shell($"ls {_root} 2>/dev/null").Stdout);
    }

    [Fact]
    public void TheSpecsOwnUnitPropertiesReachTheScopeAsRuncsDo()
    {
        // "org.systemd.property.NAME" annotations, in GVariant's text form; a NAME in seconds
        // ("…Sec") is sent in microseconds. They may override the driver's own (Delegate).
        string oid = Id(), rid = Id();
        var annotations = new Dictionary<string, string>
        {
            ["org.systemd.property.TimeoutStopSec"] = "456",
            ["org.systemd.property.CollectMode"] = "'inactive-or-failed'",
            ["org.systemd.property.SendSIGHUP"] = "true",
            ["org.systemd.property.Delegate"] = "false",
        };
        Bundle WithAnnotations(Bundle b)
        {
            b.Spec.Annotations = annotations;
            b.Write();
            return b;
        }
        RunDetached(_m.Bin, _root, WithAnnotations(NewBundle($"machine.slice:ocirun:{oid}", "sleep", "300")), oid).EnsureSuccess();
        RunDetached(TestEnv.Runc13, _runcRoot, WithAnnotations(NewBundle($"machine.slice:runc:{rid}", "sleep", "300")), rid).EnsureSuccess();
        string ounit = $"ocirun-{oid}.scope", runit = $"runc-{rid}.scope";
        Assert.Equal("7min 36s", _m.Property(ounit, "TimeoutStopUSec"));
        Assert.Equal("inactive-or-failed", _m.Property(ounit, "CollectMode"));
        Assert.Equal("yes", _m.Property(ounit, "SendSIGHUP"));
        Assert.Equal("no", _m.Property(ounit, "Delegate"));
        foreach (var p in new[] { "TimeoutStopUSec", "CollectMode", "SendSIGHUP", "Delegate" })
        {
            Assert.Equal(_m.Property(runit, p), _m.Property(ounit, p));
        }
    }

    [Fact]
    public void AContainerWhoseUnitIsASliceFailsAsRuncsDoes()
    {
        // runc asks systemd for the slice with the container's process in it; systemd takes
        // processes into scopes only. Both fail at the same step and leave nothing.
        var slice = Id() + ".slice";
        var b = NewBundle($"machine.slice:ignored:{slice}", "sleep", "3131");
        var o = Ocirun("--systemd-cgroup", "run", "--bundle", b.Dir, Id());
        var r = Runc("--systemd-cgroup", "run", "--bundle", b.Dir, Id());
        foreach (var failed in new[] { o, r })
        {
            Assert.NotEqual(0, failed.ExitCode);
            Assert.Matches(@"run failed: unable to start container process: unable to apply cgroup configuration: .*Cannot set property PIDs, or unknown property\.", failed.Stderr);
        }
        Assert.Contains($"unable to start unit \"{slice}\"", o.Stderr);
        Assert.NotEqual("active", _m.Property(slice, "ActiveState"));
        Assert.Equal("", _m.Shell($"ls -d /sys/fs/cgroup/*/machine.slice/{slice} /sys/fs/cgroup/*/{slice} 2>/dev/null").Stdout);
        Assert.Equal("", _m.Shell($"find {_root} {_runcRoot} -mindepth 1 2>/dev/null").Stdout);
        Assert.Equal("", _m.Shell("pgrep -f '^sleep 3131' || true").Stdout);
    }

    [Fact]
    public void AFailedCreateLeavesNoUnit()
    {
        var id = Id();
        var r = Ocirun("--systemd-cgroup", "run", "--bundle", NewBundle($"machine.slice:ocirun:{id}", "/no/such/program").Dir, id);
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("no such file or directory", r.Stderr);
        Assert.Equal("not-found", _m.Property($"ocirun-{id}.scope", "LoadState"));
        Assert.Equal("", _m.Shell($"ls -d /sys/fs/cgroup/*/machine.slice/ocirun-{id}.scope 2>/dev/null").Stdout);
    }

    [Fact]
    public void RestoreMakesTheScopeAgain()
    {
        var id = Id();
        var unit = $"ocirun-{id}.scope";
        // The counter lives in a tmpfs (the rootfs is read-only), which the images carry; it is
        // renamed into place, so a reader never sees it truncated.
        var b = NewBundle($"machine.slice:ocirun:{id}", "sh", "-c", "i=0; while true; do i=$((i+1)); echo $i > /data/n.new; mv /data/n.new /data/n; sleep 0.1; done");
        b.Spec.Mounts!.Add(new Mount { Destination = "/data", Type = "tmpfs", Source = "tmpfs", Options = ["nosuid"] });
        b.Write();
        RunDetached(_m.Bin, _root, b, id).EnsureSuccess();
        var images = Scratch.NewDirectory("sd-images-");
        _dirs.Add(images);
        Ocirun("checkpoint", "--image-path", images, id).EnsureSuccess();
        Assert.Equal("not-found", _m.Property(unit, "LoadState"));

        _m.Shell($"{_m.Bin} --root {_root} --systemd-cgroup restore -d --image-path {images} --bundle {b.Dir} {id} </dev/null >/dev/null 2>&1")
            .EnsureSuccess();
        Assert.Equal("active", _m.Property(unit, "ActiveState"));
        Assert.Equal("67108864", _m.Property(unit, "MemoryLimit"));
        Assert.Contains($"/machine.slice/{unit}", _m.Exec("cat", $"/proc/{InitPid(id)}/cgroup").Stdout);
        var before = int.Parse(Ocirun("exec", id, "cat", "/data/n").EnsureSuccess().Stdout);
        Thread.Sleep(300);
        Assert.True(int.Parse(Ocirun("exec", id, "cat", "/data/n").EnsureSuccess().Stdout) > before, "the counter goes on");
        Ocirun("delete", "--force", id).EnsureSuccess();
        Assert.Equal("not-found", _m.Property(unit, "LoadState"));
    }

    private int InitPid(string id) =>
        System.Text.Json.JsonDocument.Parse(Ocirun("state", id).EnsureSuccess().Stdout).RootElement.GetProperty("pid").GetInt32();
}

/// <summary>A systemd host that sees cgroup2 only.</summary>
public sealed class SystemdCgroup2MachineFixture : IDisposable
{
    public SystemdMachine Machine { get; } = new(cgroup2: true);

    public void Dispose() => Machine.Dispose();
}

/// <summary>
/// The systemd driver where systemd runs on cgroup2 alone. This host's cgroup2 has no
/// controllers (they are all on v1), so no limits can apply there; what is tested is the
/// cgroup2 path of the driver: the scope, exec joining it, the freezer of cgroup2, the
/// device rules as an eBPF program on the scope, delete.
/// </summary>
public sealed class SystemdCgroup2DriverTests(SystemdCgroup2MachineFixture fixture) : IClassFixture<SystemdCgroup2MachineFixture>, IDisposable
{
    private readonly SystemdMachine _m = fixture.Machine;
    private readonly string _root = "/run/ocirun-sd2-" + Guid.NewGuid().ToString("n")[..8];
    private readonly List<Bundle> _bundles = [];

    private CommandResult Ocirun(params string[] args) => _m.Exec([_m.Bin, "--root", _root, .. args]);

    public void Dispose()
    {
        foreach (var id in _m.Shell($"ls {_root} 2>/dev/null").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            Ocirun("delete", "--force", id);
        }
        _m.Exec("rm", "-rf", _root);
        foreach (var b in _bundles)
        {
            b.Dispose();
        }
    }

    [Fact]
    public void TheScopeOnCgroup2HoldsTheContainerAndItsDeviceRules()
    {
        var id = "sd2" + Guid.NewGuid().ToString("n")[..8];
        var unit = $"ocirun-{id}.scope";
        var b = new Bundle("sleep", "300");
        _bundles.Add(b);
        b.Spec.Linux!.CgroupsPath = $"machine.slice:ocirun:{id}";
        b.Spec.Linux.Resources = new Resources { Devices = b.Spec.Linux.Resources?.Devices };
        // A node that the spec creates but does not allow: tun, which the machine itself allows
        // and whose open needs no capability, so only the scope's program can refuse it.
        b.Spec.Linux.Devices = [new Device { Path = "/dev/tuntest", Type = "c", Major = 10, Minor = 200, FileMode = 0x1b6 }];
        b.Write();
        _m.Shell($"{_m.Bin} --root {_root} --systemd-cgroup run -d --bundle {b.Dir} {id} </dev/null >/dev/null 2>&1").EnsureSuccess();

        Assert.Equal("active", _m.Property(unit, "ActiveState"));
        Assert.Equal("strict", _m.Property(unit, "DevicePolicy"));
        var pid = System.Text.Json.JsonDocument.Parse(Ocirun("state", id).EnsureSuccess().Stdout).RootElement.GetProperty("pid").GetInt32();
        // The kernel lists this host's v1 hierarchies too, which the machine does not mount.
        string Cgroup2(string p) => _m.Exec("cat", $"/proc/{p}/cgroup").Stdout.Split('\n').Single(l => l.StartsWith("0::"));
        Assert.Equal($"0::/machine.slice/{unit}", Cgroup2(pid.ToString()));
        Ocirun("exec", "-d", id, "sleep", "78").EnsureSuccess();
        var execd = _m.Exec("pgrep", "-f", "^sleep 78").EnsureSuccess().Stdout.Trim();
        Assert.Equal($"0::/machine.slice/{unit}", Cgroup2(execd));

        // The device rules as a program on the scope: /dev/zero reads, /dev/tuntest does not open.
        Assert.Equal("1\n", Ocirun("exec", id, "sh", "-c", "head -c1 /dev/zero | wc -c").EnsureSuccess().Stdout);
        var mem = Ocirun("exec", id, "head", "-c1", "/dev/tuntest");
        Assert.NotEqual(0, mem.ExitCode);
        Assert.Contains("Operation not permitted", mem.Stderr);

        Ocirun("pause", id).EnsureSuccess();
        Assert.Equal("1\n", _m.Exec("cat", $"/sys/fs/cgroup/machine.slice/{unit}/cgroup.freeze").Stdout);
        Ocirun("resume", id).EnsureSuccess();
        Ocirun("delete", "--force", id).EnsureSuccess();
        Assert.Equal("not-found", _m.Property(unit, "LoadState"));
        Assert.False(_m.Exec("test", "-d", $"/sys/fs/cgroup/machine.slice/{unit}").ExitCode == 0, "the scope's cgroup is gone");
    }
}
