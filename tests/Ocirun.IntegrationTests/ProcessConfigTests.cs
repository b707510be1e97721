using Ocirun.IntegrationTests.Harness;
using Ocirun.Spec.Model;

namespace Ocirun.IntegrationTests;

/// <summary>process.* of config.json, asserted from inside the container.</summary>
public sealed class ProcessConfigTests : IDisposable
{
    private readonly Harness.Runtime _rt = new();

    public void Dispose() => _rt.Dispose();

    private string RunOk(Bundle b) => _rt.Ok("run", "--bundle", b.Dir, "c1").Stdout;

    [Fact]
    public void UserGroupsUmaskCwdAndEnv()
    {
        using var b = new Bundle();
        var p = b.Spec.Process!;
        p.User = new User { Uid = 1000, Gid = 1000, AdditionalGids = [10, 20], Umask = 0x3f /* 077 */ };
        p.Cwd = "/tmp";
        p.Env = ["PATH=/bin", "GREETING=hi there"];
        b.Shell("id -u; id -g; id -G; umask; pwd; echo \"$GREETING\"; echo $HOME");
        var lines = RunOk(b).Split('\n');
        Assert.Equal("1000", lines[0]);
        Assert.Equal("1000", lines[1]);
        Assert.Equal("1000 10 20", lines[2]);
        Assert.Equal("0077", lines[3]);
        Assert.Equal("/tmp", lines[4]);
        Assert.Equal("hi there", lines[5]);
        Assert.Equal("/home/user", lines[6]);
    }

    [Fact]
    public void CapabilitiesAndNoNewPrivileges()
    {
        using var b = new Bundle().Shell("grep -E '^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs)' /proc/self/status");
        var caps = b.Spec.Process!.Capabilities!;
        caps.Bounding = ["CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW"];
        caps.Effective = ["CAP_CHOWN", "CAP_KILL"];
        caps.Permitted = ["CAP_CHOWN", "CAP_KILL"];
        caps.Inheritable = ["CAP_KILL"];
        caps.Ambient = ["CAP_KILL"];
        b.Spec.Process.NoNewPrivileges = true;
        b.Write();
        var status = RunOk(b);
        // CAP_CHOWN is bit 0, CAP_KILL bit 5, CAP_NET_RAW bit 13.
        Assert.Contains("CapInh:\t0000000000000020", status);
        Assert.Contains("CapPrm:\t0000000000000021", status);
        Assert.Contains("CapEff:\t0000000000000021", status);
        Assert.Contains("CapBnd:\t0000000000002021", status);
        Assert.Contains("CapAmb:\t0000000000000020", status);
        Assert.Contains("NoNewPrivs:\t1", status);
    }

    [Fact]
    public void NonRootUserKeepsOnlyAmbientCapabilities()
    {
        using var b = new Bundle().Shell("grep -E '^(CapEff|NoNewPrivs)' /proc/self/status");
        b.Spec.Process!.User = new User { Uid = 1000, Gid = 1000 };
        b.Spec.Process.NoNewPrivileges = false;
        var caps = b.Spec.Process.Capabilities!;
        caps.Bounding = caps.Permitted = caps.Effective = caps.Inheritable = ["CAP_NET_BIND_SERVICE"];
        caps.Ambient = ["CAP_NET_BIND_SERVICE"];
        b.Write();
        var status = RunOk(b);
        Assert.Contains("CapEff:\t0000000000000400", status);
        Assert.Contains("NoNewPrivs:\t0", status);
    }

    [Fact]
    public void RlimitsApply()
    {
        using var b = new Bundle().Shell("ulimit -n; ulimit -Hn; ulimit -c");
        b.Spec.Process!.Rlimits =
        [
            new Rlimit { Type = "RLIMIT_NOFILE", Soft = 512, Hard = 1000 },
            new Rlimit { Type = "RLIMIT_CORE", Soft = 0, Hard = 0 },
        ];
        b.Write();
        Assert.Equal("512\n1000\n0\n", RunOk(b));
    }

    [Fact]
    public void AnAddressSpaceLimitBelowTheRuntimesOwnStillStartsTheProcess()
    {
        // runtime-tools process_rlimits: RLIMIT_AS of 1 GiB under a profile without close_range.
        // The .NET init maps far more than that; set early, the init's later allocations (the
        // /proc/self/fd walk that replaces close_range) failed now and then: twenty runs.
        for (int i = 0; i < 20; i++)
        {
            using var b = new Bundle().Shell("ulimit -v; ulimit -Hv; ulimit -d");
            b.Spec.Process!.Rlimits =
            [
                new Rlimit { Type = "RLIMIT_AS", Soft = 1UL << 30, Hard = 1UL << 30 },
                new Rlimit { Type = "RLIMIT_DATA", Soft = 1UL << 30, Hard = 1UL << 30 },
            ];
            b.Spec.Linux!.Seccomp = new Seccomp
            {
                DefaultAction = "SCMP_ACT_ALLOW",
                Syscalls = [new SeccompSyscall { Names = ["close_range"], Action = "SCMP_ACT_ERRNO" }],
            };
            b.Write();
            Assert.Equal("1048576\n1048576\n1048576\n", RunOk(b));
        }
    }

    [Fact]
    public void OomScoreAdjApplies()
    {
        using var b = new Bundle().Shell("cat /proc/self/oom_score_adj");
        b.Spec.Process!.OomScoreAdj = 500;
        b.Write();
        Assert.Equal("500\n", RunOk(b));
    }

    [Fact]
    public void MissingExecutableFailsCreateWithRuncWording()
    {
        using var b = new Bundle("no-such-binary");
        _rt.AssertCreateFailsCleanly(b, "executable file not found in $PATH");
    }

    [Fact]
    public void MissingCwdFailsCreate()
    {
        using var b = new Bundle("true");
        b.Spec.Process!.Cwd = "/does/not/exist";
        b.Write();
        _rt.AssertCreateFailsCleanly(b, "no such file or directory");
    }

    [Fact]
    public void OnlyPreservedFdsReachTheContainer()
    {
        using var b = new Bundle().Shell("ls /proc/self/fd | sort -n | tr '\\n' ' '");
        // fd 3 and 4 are open in the caller; --preserve-fds 1 passes 3 only.
        var r = Harness.Run.Program("sh", ["-c", $"exec 3</dev/null 4</dev/null; exec {TestEnv.Bin} --root {_rt.Root} run --preserve-fds 1 --bundle {b.Dir} c1"]);
        r.EnsureSuccess();
        // ls itself has its directory fd open (3 when it is the only extra fd, else the next).
        Assert.Equal("0 1 2 3 4 ", r.Stdout);
        var r2 = Harness.Run.Program("sh", ["-c", $"exec 3</dev/null 4</dev/null; exec {TestEnv.Bin} --root {_rt.Root} run --bundle {b.Dir} c2"]);
        Assert.Equal("0 1 2 3 ", r2.EnsureSuccess().Stdout);
    }

    [Fact]
    public void ExecNeedsNoConfigJsonAfterCreate()
    {
        // As runc, which keeps its configuration in its state: an engine may move or rewrite
        // the bundle; exec takes the container's namespaces and seccomp filter from create.
        using var b = new Bundle("sleep", "300");
        b.Spec.Linux!.Seccomp = new Spec.Model.Seccomp
        {
            DefaultAction = "SCMP_ACT_ALLOW",
            Syscalls = [new SeccompSyscall { Names = ["mkdirat", "mkdir"], Action = "SCMP_ACT_ERRNO" }],
        };
        b.Write();
        _rt.Ok("run", "-d", "--bundle", b.Dir, "c1");
        File.Delete(Path.Combine(b.Dir, "config.json"));
        var r = _rt.Exec("exec", "c1", "sh", "-c", "hostname; mkdir /tmp/x");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("Operation not permitted", r.Stderr); // the container's filter applies
        Assert.Equal("sleep\n", _rt.Ok("exec", "c1", "cat", "/proc/1/comm").Stdout); // its pid namespace
        _rt.Ok("delete", "--force", "c1");
    }

    [Fact]
    public void OnlyPreservedFdsReachAnExecdProcess()
    {
        using var b = new Bundle("sleep", "300");
        _rt.Ok("run", "-d", "--bundle", b.Dir, "c1");
        string Exec(string preserve) => Harness.Run.Program("sh", ["-c",
            $"exec 3</dev/null 4</dev/null 7</etc/hostname; exec {TestEnv.Bin} --root {_rt.Root} exec {preserve} c1 sh -c 'ls /proc/self/fd | sort -n | tr \"\\n\" \" \"'"])
            .EnsureSuccess().Stdout;
        // ls's own directory fd is the last one listed.
        Assert.Equal("0 1 2 3 ", Exec(""));
        Assert.Equal("0 1 2 3 4 5 ", Exec("--preserve-fds 2"));
        _rt.Ok("delete", "--force", "c1");
    }

    [Fact]
    public void ACreatedInitHoldsNoneOfTheCallersOtherFds()
    {
        // The caller (conmon, a shell) may leave fds open without close-on-exec: the init,
        // waiting for start, must not hold them (runc's does not either).
        using var b = new Bundle("true");
        Harness.Run.Program("sh", ["-c", $"exec 7</etc/hostname 9</dev/zero; exec {TestEnv.Bin} --root {_rt.Root} create --bundle {b.Dir} c1"])
            .EnsureSuccess();
        var pid = System.Text.Json.JsonDocument.Parse(_rt.Ok("state", "c1").Stdout).RootElement.GetProperty("pid").GetInt32();
        var held = Directory.GetFiles($"/proc/{pid}/fd").Select(f => new FileInfo(f).LinkTarget).ToList();
        Assert.DoesNotContain("/etc/hostname", held);
        Assert.DoesNotContain("/dev/zero", held);
        _rt.Ok("delete", "--force", "c1");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ACreatedInitHoldsOnlyStdioAndTheExecFifo(bool startHook)
    {
        // Nothing of the runtime's own either: no sync socket (the parent is done with it), no
        // /dev/urandom of the .NET runtime. A startContainer hook still runs (and gets its state).
        using var b = new Bundle("true");
        var outDir = Directory.CreateDirectory(Path.Combine(b.Dir, "out")).FullName;
        if (startHook)
        {
            // The hook runs in the container: it writes through a bind of a bundle directory.
            b.Spec.Mounts!.Add(new Mount { Destination = "/out", Type = "bind", Source = outDir, Options = ["bind"] });
            b.Spec.Hooks = new Hooks { StartContainer = [new Hook { Path = "/bin/sh", Args = ["sh", "-c", "cat > /out/state.tmp && mv /out/state.tmp /out/state"] }] };
            b.Write();
        }
        _rt.Ok("create", "--bundle", b.Dir, "c1");
        var pid = System.Text.Json.JsonDocument.Parse(_rt.Ok("state", "c1").Stdout).RootElement.GetProperty("pid").GetInt32();
        var held = Directory.GetFiles($"/proc/{pid}/fd").Select(f => (Fd: int.Parse(Path.GetFileName(f)), Target: new FileInfo(f).LinkTarget!))
            .Where(f => f.Fd > 2).ToList();
        var fifo = Assert.Single(held);
        Assert.EndsWith("/c1/exec.fifo", fifo.Target);
        _rt.Ok("start", "c1");
        if (startHook)
        {
            var state = Path.Combine(outDir, "state");
            LifecycleTests.WaitFor(() => File.Exists(state));
            Assert.Contains("\"status\":\"created\"", File.ReadAllText(state));
        }
        _rt.Ok("delete", "--force", "c1");
    }

    [Fact]
    public void PersonalityIoPrioritySchedulerAndSessionKeyring()
    {
        // Ids no other test uses: /proc/keys lists every root-owned keyring, other tests' too.
        var withKeyring = "keyring" + Guid.NewGuid().ToString("n")[..8];
        var without = "nokeyring" + Guid.NewGuid().ToString("n")[..8];
        using var b = new Bundle().Shell($"uname -m; ionice -p $$; grep ^policy /proc/self/sched | tr -d ' '; grep -c '_ses.{withKeyring}' /proc/keys");
        b.Spec.Linux!.Personality = new Personality { Domain = "LINUX32" };
        b.Spec.Linux.MaskedPaths!.Remove("/proc/keys");
        b.Spec.Process!.IoPriority = new IoPriority { Class = "IOPRIO_CLASS_IDLE", Priority = 0 };
        b.Spec.Process.Scheduler = new Scheduler { Policy = "SCHED_BATCH" };
        b.Write();
        var lines = _rt.Ok("run", "--bundle", b.Dir, withKeyring).Stdout.Split('\n');
        Assert.Equal("i686", lines[0]);
        Assert.Equal("idle", lines[1]);
        Assert.Equal("policy:3", lines[2]); // SCHED_BATCH
        Assert.Equal("1", lines[3]);
        using var b2 = new Bundle().Shell($"grep -c '_ses.{without}' /proc/keys || true");
        b2.Spec.Linux!.MaskedPaths!.Remove("/proc/keys");
        b2.Write();
        Assert.Equal("0\n", _rt.Ok("run", "--no-new-keyring", "--bundle", b2.Dir, without).Stdout);
    }

    [Fact]
    public void UnsupportedIntelRdtIsAClearError()
    {
        using var b = new Bundle("true");
        b.Spec.Linux!.IntelRdt = new IntelRdt { ClosID = "x" };
        b.Write();
        _rt.AssertCreateFailsCleanly(b, "resctrl is not mounted");
    }

    [Fact]
    public void InitRunsUnderATightMemoryLimit()
    {
        // The managed init stage must fit in a small cgroup: 16 MiB, no swap.
        using var b = new Bundle().Shell("echo ok");
        b.Spec.Linux!.Resources = new Resources { Memory = new MemoryResources { Limit = 16 << 20, Swap = 16 << 20 } };
        b.Write();
        Assert.Equal("ok\n", RunOk(b));
    }
}
