using System.Text.Json;
using Ocirun.IntegrationTests.Harness;
using Ocirun.Spec.Model;

namespace Ocirun.IntegrationTests;

/// <summary>linux.resources, update and events, asserted in the cgroup files and from inside.</summary>
public sealed class CgroupTests : IDisposable
{
    private readonly Harness.Runtime _rt = new();

    public void Dispose() => _rt.Dispose();

    private static string Cg(Bundle b, string controller, string file) =>
        File.ReadAllText($"/sys/fs/cgroup/{controller}{b.Spec.Linux!.CgroupsPath}/{file}").Trim();

    /// <summary>
    /// The native stage puts the init in its cgroups (v1 through `tasks`, cgroup2 through
    /// clone3, or cgroup.procs inside a user namespace): every hierarchy, for the init and an
    /// exec'd process, with the cgroup namespace rooted there.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void InitAndExecAreInTheContainersCgroupInEveryHierarchy(bool userns)
    {
        using var b = new Bundle("sleep", "300");
        if (userns)
        {
            b.Spec.Linux!.Namespaces!.Add(new Namespace { Type = "user" });
            b.Spec.Linux.UidMappings = [new IdMapping { ContainerId = 0, HostId = 100000, Size = 65536 }];
            b.Spec.Linux.GidMappings = [new IdMapping { ContainerId = 0, HostId = 100000, Size = 65536 }];
            Harness.Run.Program("chown", ["-R", "100000:100000", b.Rootfs]).EnsureSuccess();
        }
        b.Write();
        var log = Path.Combine(b.Dir, "debug.log");
        int init = _rt.RunDetached(b.Dir, "c1", "sleep", "--debug", "--log", log);
        var pidFile = Path.Combine(b.Dir, "exec.pid");
        _rt.Ok("--debug", "--log", log, "exec", "-d", "--pid-file", pidFile, "c1", "sleep", "301");
        int exec = int.Parse(File.ReadAllText(pidFile));
        if (File.ReadAllText("/proc/self/mountinfo").Contains(" - cgroup2 "))
        {
            // The fast way wherever it is allowed; the slow one in a user namespace.
            var how = userns ? "cgroup2 joined through cgroup.procs" : "cgroup2 joined by clone3";
            Assert.Equal(2, File.ReadAllText(log).Split(how).Length - 1);
        }
        var hierarchies = File.ReadAllLines("/proc/self/cgroup").Length;
        foreach (var pid in new[] { init, exec })
        {
            var lines = File.ReadAllLines($"/proc/{pid}/cgroup");
            Assert.Equal(hierarchies, lines.Length);
            Assert.All(lines, l => Assert.EndsWith(":" + b.Spec.Linux!.CgroupsPath, l));
        }
        var inside = _rt.Ok("exec", "c1", "cat", "/proc/self/cgroup").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(hierarchies, inside.Length);
        Assert.All(inside, l => Assert.EndsWith(":/", l));
    }

    [Fact]
    public void LimitsAreWrittenAtCreate()
    {
        using var b = new Bundle("sleep", "300");
        b.Spec.Linux!.Resources = new Resources
        {
            Memory = new MemoryResources { Limit = 64 << 20, Swap = 128 << 20, Reservation = 32 << 20 },
            Cpu = new CpuResources { Shares = 512, Quota = 50000, Period = 100000, Cpus = "0" },
            Pids = new PidsResources { Limit = 42 },
        };
        b.Write();
        _rt.Ok("run", "-d", "--bundle", b.Dir, "c1");
        Assert.Equal((64 << 20).ToString(), Cg(b, "memory", "memory.limit_in_bytes"));
        Assert.Equal((128 << 20).ToString(), Cg(b, "memory", "memory.memsw.limit_in_bytes"));
        Assert.Equal((32 << 20).ToString(), Cg(b, "memory", "memory.soft_limit_in_bytes"));
        Assert.Equal("512", Cg(b, "cpu", "cpu.shares"));
        Assert.Equal("50000", Cg(b, "cpu", "cpu.cfs_quota_us"));
        Assert.Equal("0", Cg(b, "cpuset", "cpuset.cpus"));
        Assert.Equal("42", Cg(b, "pids", "pids.max"));
        Assert.Equal("50000 100000", _rt.Ok("exec", "c1", "sh", "-c",
            "echo $(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us) $(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us)").Stdout.Trim());
    }

    [Fact]
    public void AllocationBeyondTheMemoryLimitIsOomKilledAndEventsReportIt()
    {
        using var b = new Bundle("sleep", "300");
        b.Spec.Linux!.Resources = new Resources { Memory = new MemoryResources { Limit = 32 << 20, Swap = 32 << 20 } };
        b.Write();
        _rt.Ok("run", "-d", "--bundle", b.Dir, "c1");
        using var events = _rt.Start("events", "--interval", "60s", "c1");
        LifecycleTests.WaitFor(() => events.StdoutSoFar.Contains("\"type\":\"stats\""));
        // dd's 64 MiB block buffer is anonymous memory, twice the limit.
        var r = _rt.Exec("exec", "c1", "sh", "-c", "dd if=/dev/zero of=/dev/null bs=64M count=1 2>/dev/null; echo rc=$?");
        Assert.Equal("rc=137\n", r.Stdout);
        LifecycleTests.WaitFor(() => events.StdoutSoFar.Contains("\"type\":\"oom\""));
        Assert.Contains("\"id\":\"c1\"", events.StdoutSoFar);
        Assert.Contains("oom_kill 1", Cg(b, "memory", "memory.oom_control"));
    }

    [Fact]
    public void ForkBombStopsAtThePidsLimit()
    {
        using var b = new Bundle("sleep", "300");
        b.Spec.Linux!.Resources = new Resources { Pids = new PidsResources { Limit = 10 } };
        b.Write();
        _rt.Ok("run", "-d", "--bundle", b.Dir, "c1");
        var r = _rt.Exec("exec", "c1", "sh", "-c", "for i in $(seq 1 20); do sleep 30 & done 2>&1; wait");
        Assert.Contains("can't fork", r.Stdout + r.Stderr);
        Assert.InRange(int.Parse(Cg(b, "pids", "pids.current")), 2, 10);
        Assert.Contains("\"limit\":10", _rt.Ok("events", "--stats", "c1").Stdout);
    }

    [Fact]
    public void UpdateChangesLiveLimits()
    {
        using var b = new Bundle("sleep", "300");
        b.Spec.Linux!.Resources = new Resources { Memory = new MemoryResources { Limit = 64 << 20 }, Pids = new PidsResources { Limit = 50 } };
        b.Write();
        _rt.Ok("run", "-d", "--bundle", b.Dir, "c1");
        _rt.Ok("update", "--memory", "128m", "--pids-limit", "77", "--cpu-quota", "20000", "--cpu-period", "100000", "c1");
        Assert.Equal((128 << 20).ToString(), Cg(b, "memory", "memory.limit_in_bytes"));
        Assert.Equal("77", Cg(b, "pids", "pids.max"));
        Assert.Equal("20000", Cg(b, "cpu", "cpu.cfs_quota_us"));
        var r = _rt.Exec(["update", "--resources", "-", "c1"], null, stdin: "{\"pids\": {\"limit\": 33}, \"memory\": {\"limit\": 104857600, \"swap\": 209715200}}");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("33", Cg(b, "pids", "pids.max"));
        Assert.Equal("209715200", Cg(b, "memory", "memory.memsw.limit_in_bytes"));
        // 0 is what runc's update sends for a limit it was not given: the limit stays.
        _rt.Ok("update", "--pids-limit", "0", "c1");
        Assert.Equal(0, _rt.Exec(["update", "--resources", "-", "c1"], null, stdin: "{\"pids\": {\"limit\": 0}}").ExitCode);
        Assert.Equal("33", Cg(b, "pids", "pids.max"));
    }

    [Fact]
    public void BlkioWeightGoesToBfqAndHugetlbLimitsTheReservationToo()
    {
        // This kernel has no CFQ: only blkio.bfq.weight exists (runc writes there too).
        using var b = new Bundle("sleep", "300");
        b.Spec.Linux!.Resources = new Resources
        {
            BlockIO = new BlockIo { Weight = 300 },
            HugepageLimits = [new HugepageLimit { PageSize = "2MB", Limit = 4 << 20 }],
        };
        b.Write();
        _rt.Ok("run", "-d", "--bundle", b.Dir, "c1");
        Assert.Contains("300", Cg(b, "blkio", "blkio.bfq.weight"));
        Assert.Equal((4 << 20).ToString(), Cg(b, "hugetlb", "hugetlb.2MB.limit_in_bytes"));
        Assert.Equal((4 << 20).ToString(), Cg(b, "hugetlb", "hugetlb.2MB.rsvd.limit_in_bytes"));
    }

    [Fact]
    public void UpdateSetsCpuIdleAndRealtimeBudget()
    {
        using var b = new Bundle("sleep", "300");
        _rt.Ok("run", "-d", "--bundle", b.Dir, "c1");
        _rt.Ok("update", "--cpu-idle", "1", "c1");
        Assert.Equal("1", Cg(b, "cpu", "cpu.idle"));
        _rt.Ok("update", "--cpu-idle", "0", "--cpu-rt-period", "500000", "--cpu-rt-runtime", "10000", "c1");
        Assert.Equal(("0", "500000", "10000"), (Cg(b, "cpu", "cpu.idle"), Cg(b, "cpu", "cpu.rt_period_us"), Cg(b, "cpu", "cpu.rt_runtime_us")));
    }

    [Fact]
    public void ADeadlineSchedulerWithACpusetIsRefusedInRuncsWords()
    {
        // sched_setattr(2): SCHED_DEADLINE needs an affinity of every CPU; with cpus "0" of two
        // the kernel says EPERM, which runc reports as the conflict it is.
        using var b = new Bundle("true");
        b.Spec.Linux!.Resources = new Resources { Cpu = new CpuResources { Cpus = "0" } };
        b.Spec.Process!.Scheduler = new Scheduler { Policy = "SCHED_DEADLINE", Nice = 19, Runtime = 42000, Deadline = 1000000, Period = 1000000 };
        b.Write();
        _rt.AssertCreateFailsCleanly(b, "process scheduler can't be used together with AllowedCPUs");
    }

    [Fact]
    public void UpdateWithZerosChangesNothingAndMinusOneLiftsMemoryAndSwap()
    {
        using var b = new Bundle("sleep", "300");
        b.Spec.Linux!.Resources = new Resources
            { Memory = new MemoryResources { Limit = 100 << 20, Reservation = 50 << 20, Swap = 200 << 20 } };
        b.Write();
        _rt.Ok("run", "-d", "--bundle", b.Dir, "c1");
        // What `docker update --cpus 1` sends: zeros for the memory it does not change.
        var r = _rt.Exec(["update", "--resources", "-", "c1"], null,
            stdin: "{\"memory\": {\"limit\": 0, \"reservation\": 0, \"swap\": 0, \"kernel\": 0, \"kernelTCP\": 0}}");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal((100 << 20).ToString(), Cg(b, "memory", "memory.limit_in_bytes"));
        Assert.Equal((50 << 20).ToString(), Cg(b, "memory", "memory.soft_limit_in_bytes"));
        _rt.Ok("update", "--memory", "150m", "c1");
        Assert.Equal((50 << 20).ToString(), Cg(b, "memory", "memory.soft_limit_in_bytes"));
        _rt.Ok("update", "--memory", "-1", "c1");
        var unlimited = long.MaxValue & ~4095L;
        Assert.Equal(unlimited.ToString(), Cg(b, "memory", "memory.limit_in_bytes"));
        Assert.Equal(unlimited.ToString(), Cg(b, "memory", "memory.memsw.limit_in_bytes"));
    }

    private static string[] Hierarchies => Directory.GetDirectories("/sys/fs/cgroup").Where(d => File.Exists(d + "/cgroup.procs")).ToArray();

    private static void RemoveCgroup(string path)
    {
        foreach (var h in Hierarchies)
        {
            foreach (var d in Directory.Exists(h + path)
                ? Directory.GetDirectories(h + path, "*", SearchOption.AllDirectories).OrderByDescending(x => x.Length).Append(h + path) : [])
            {
                LifecycleTests.WaitFor(() => { try { Directory.Delete(d); return true; } catch (IOException) { return false; } });
            }
        }
    }

    [Fact]
    public void AFrozenPreExistingCgroupIsRefused()
    {
        using var b = new Bundle("true");
        var freezer = "/sys/fs/cgroup/freezer" + b.Spec.Linux!.CgroupsPath;
        Directory.CreateDirectory(freezer);
        try
        {
            File.WriteAllText(freezer + "/freezer.state", "FROZEN");
            var r = _rt.Exec(["create", "--bundle", b.Dir, "c1"], TimeSpan.FromSeconds(20));
            Assert.Equal(1, r.ExitCode);
            Assert.Contains("container's cgroup unexpectedly frozen", r.Stderr);
            Assert.Empty(_rt.Ids());
        }
        finally
        {
            // The failed create removed the (empty) cgroup, as runc's does; otherwise thaw it here.
            if (Directory.Exists(freezer))
            {
                File.WriteAllText(freezer + "/freezer.state", "THAWED");
            }
            RemoveCgroup(b.Spec.Linux.CgroupsPath!);
        }
    }

    [Fact]
    public void ACgroupWithProcessesInItIsRefused()
    {
        using var b = new Bundle("true");
        var pids = "/sys/fs/cgroup/pids" + b.Spec.Linux!.CgroupsPath;
        Directory.CreateDirectory(pids);
        var sleeper = Run.Start("sleep", ["100"]);
        try
        {
            File.WriteAllText(pids + "/cgroup.procs", sleeper.Pid.ToString());
            var r = _rt.Exec("create", "--bundle", b.Dir, "c1");
            Assert.Equal(1, r.ExitCode);
            Assert.Contains("container's cgroup is not empty: 1 process(es) found", r.Stderr);
            Assert.Empty(_rt.Ids());
            // Not the failed create's to kill or move: runc leaves them be.
            Assert.False(sleeper.HasExited);
            Assert.Equal(sleeper.Pid + "\n", File.ReadAllText(pids + "/cgroup.procs"));
        }
        finally
        {
            sleeper.Dispose();
            RemoveCgroup(b.Spec.Linux.CgroupsPath!);
        }
    }

    [Fact]
    public void ACpusetParentLeftEmptyIsFilledFromItsAncestors()
    {
        // A pod-level cgroup another tool made without filling its cpuset.
        using var b = new Bundle("true");
        var pod = b.Spec.Linux!.CgroupsPath!;
        Directory.CreateDirectory("/sys/fs/cgroup/cpuset" + pod);
        b.Spec.Linux.CgroupsPath = pod + "/container";
        b.Write();
        try
        {
            _rt.Ok("run", "--bundle", b.Dir, "c1");
        }
        finally
        {
            RemoveCgroup(pod);
        }
    }

    [Fact]
    public void DeleteForceRemovesSubCgroupsAndTheirProcesses()
    {
        using var b = new Bundle("sleep", "300");
        _rt.RunDetached(b.Dir, "c1", "sleep");
        _rt.Ok("exec", "-d", "--pid-file", Path.Combine(b.Dir, "sub.pid"), "c1", "sleep", "200");
        var pid = File.ReadAllText(Path.Combine(b.Dir, "sub.pid"));
        foreach (var h in Hierarchies)
        {
            var top = h + b.Spec.Linux!.CgroupsPath;
            foreach (var d in new[] { top + "/sub", top + "/sub/deeper" })
            {
                Directory.CreateDirectory(d);
                foreach (var f in new[] { "cpuset.cpus", "cpuset.mems" }.Where(f => File.Exists(Path.Combine(d, f))))
                {
                    File.WriteAllText(Path.Combine(d, f), File.ReadAllText(Path.Combine(top, f)).Trim());
                }
            }
            File.WriteAllText(top + "/sub/deeper/cgroup.procs", pid);
        }
        _rt.Ok("delete", "--force", "c1");
        Assert.All(Hierarchies, h => Assert.False(Directory.Exists(h + b.Spec.Linux!.CgroupsPath), h));
        Assert.False(Directory.Exists("/proc/" + pid));
    }

    [Fact]
    public void UnsupportedResourcesAreAClearErrorAndLeaveNothing()
    {
        using var b = new Bundle("true");
        b.Spec.Linux!.Resources = new Resources { Network = new NetworkResources { ClassId = 42 } };
        b.Write();
        _rt.AssertCreateFailsCleanly(b, "net_cls");
    }

    [Fact]
    public void UnifiedResourcesOnAV1HostAreAnInvalidConfiguration()
    {
        // Even a key this hybrid host's cgroup2 has (cgroup.max.depth) is refused, as by runc.
        using var b = new Bundle("true");
        b.Spec.Linux!.Resources = new Resources { Unified = new() { ["cgroup.max.depth"] = "5" } };
        b.Write();
        _rt.AssertCreateFailsCleanly(b, "invalid configuration: cannot use unified on cgroup v1");
    }

    [Fact]
    public void DeviceRulesDenyWhatIsNotAllowed()
    {
        using var b = new Bundle().Shell("head -c1 /dev/zero | od -An -c; mknod /dev/loop9 b 7 9 2>&1; echo rc=$?");
        b.Spec.Linux!.Resources = new Resources { Devices = [new DeviceCgroup { Allow = false, Access = "rwm" }] };
        b.Write();
        var r = _rt.Ok("run", "--bundle", b.Dir, "c1").Stdout;
        Assert.Contains("\\0", r);
        Assert.Contains("Operation not permitted", r);
    }

    [Fact]
    public void TheSpecsDeviceRulesAreListedFirstInItsOrder()
    {
        // runtime-tools (linux_cgroups_devices): entries applied in the listed order, as crun
        // lists them; runc's own defaults come after.
        using var b = new Bundle("sleep", "300");
        b.Spec.Linux!.Resources = new Resources
        {
            Devices =
            [
                new DeviceCgroup { Allow = false, Access = "rwm" },
                new DeviceCgroup { Allow = true, Type = "c", Major = 10, Minor = 229, Access = "rwm" },
                new DeviceCgroup { Allow = true, Type = "b", Major = 8, Minor = 20, Access = "rw" },
                new DeviceCgroup { Allow = true, Type = "b", Major = 10, Minor = 200, Access = "r" },
            ],
        };
        b.Write();
        _rt.Ok("run", "-d", "--bundle", b.Dir, "c1");
        var list = Cg(b, "devices", "devices.list").Split('\n');
        Assert.Equal(["c 10:229 rwm", "b 8:20 rw", "b 10:200 r"], list[..3]);
        Assert.Contains("c 1:3 rwm", list);
    }

    [SkippableFact]
    public void TheSystemdDriverWithoutSystemdIsRefusedInRuncsWords()
    {
        // This VM has no systemd as PID 1 (the driver's own tests boot one: SystemdDriverTests).
        Skip.If(Directory.Exists("/run/systemd/system"), "systemd runs on this host");
        using var b = new Bundle("true");
        b.Spec.Linux!.CgroupsPath = "machine.slice:ocirun:nosystemd";
        b.Write();
        using var runc = new Runc13();
        const string words = "systemd not running on this host, cannot use systemd cgroups manager";
        Assert.Contains(words, runc.Exec("--systemd-cgroup", "run", "--bundle", b.Dir, "r1").Stderr);
        var r = _rt.Exec(["--systemd-cgroup", "create", "--bundle", b.Dir, "c1"]);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains(words, r.Stderr);
        Assert.Empty(_rt.Ids());
    }

    [Fact]
    public void TheDefaultDevicesAreRuncsWithoutTun()
    {
        // runc 1.3.6 on the same bundle; the one difference is tun (10:200), which runc keeps
        // for old users and ocirun leaves to the spec. No /dev/console (5:1): a container
        // that made that node would write to the host's console.
        using var b = new Bundle("sleep", "300");
        using var runc = new Runc13();
        runc.Exec("run", "-d", "--bundle", b.Dir, "r1").EnsureSuccess();
        var runcs = Cg(b, "devices", "devices.list").Split('\n', StringSplitOptions.RemoveEmptyEntries).Order().ToList();
        runc.Exec("delete", "--force", "r1").EnsureSuccess();
        _rt.Ok("run", "-d", "--bundle", b.Dir, "c1");
        var ours = Cg(b, "devices", "devices.list").Split('\n', StringSplitOptions.RemoveEmptyEntries).Order().ToList();
        Assert.Contains("c 10:200 rwm", runcs);
        Assert.Equal(runcs.Where(l => l != "c 10:200 rwm"), ours);
        Assert.DoesNotContain("c 5:1 rwm", ours);
    }

    [Fact]
    public void StatsSnapshotIsJson()
    {
        using var b = new Bundle("sleep", "300");
        _rt.RunDetached(b.Dir, "c1", "sleep");
        var doc = JsonDocument.Parse(_rt.Ok("events", "--stats", "c1").Stdout).RootElement;
        Assert.Equal("stats", doc.GetProperty("type").GetString());
        Assert.True(doc.GetProperty("data").GetProperty("memory").GetProperty("usage").GetProperty("usage").GetUInt64() > 0);
        Assert.Equal(1UL, doc.GetProperty("data").GetProperty("pids").GetProperty("current").GetUInt64());
        Assert.True(doc.GetProperty("data").GetProperty("cpu").GetProperty("usage").GetProperty("total").GetUInt64() > 0);
    }
}
