using Ocirun.E2ETests.Harness;

namespace Ocirun.E2ETests;

/// <summary>`podman run` options that the runtime has to carry out: mounts, limits, security.</summary>
public sealed class OptionsTests(PodmanFixture fixture) : PodmanTest(fixture)
{
    private ProcResult RunRm(Podman p, string script, params string[] options) =>
        p.Run(["run", "--rm", "--name", Container(p, "opt"), .. CidFile(), "--network", "none", .. options, E2EEnv.Image, "sh", "-c", script]);

    [Theory]
    [InlineData("ocirun")]
    [InlineData("runc")]
    public void TmpfsIsAWritableTmpfs(string rt)
    {
        var r = RunRm(Src(rt), "grep ' /scratch ' /proc/mounts; echo data > /scratch/f && cat /scratch/f", "--tmpfs", "/scratch").EnsureSuccess();
        Assert.Matches(@"^tmpfs /scratch tmpfs rw[, ]", r.Stdout);
        Assert.EndsWith("data\n", r.Stdout);
    }

    [Theory]
    [InlineData("ocirun")]
    [InlineData("runc")]
    public void HostDirectoryIsSharedBothWays(string rt)
    {
        var dir = HostDir("data");
        File.WriteAllText(Path.Combine(dir, "from-host"), "host says hi\n");
        var r = RunRm(Src(rt), "cat /data/from-host; echo container says hi > /data/from-container", "-v", $"{dir}:/data").EnsureSuccess();
        Assert.Equal("host says hi\n", r.Stdout);
        Assert.Equal("container says hi\n", File.ReadAllText(Path.Combine(dir, "from-container")));
    }

    [Theory]
    [InlineData("ocirun")]
    [InlineData("runc")]
    public void MemoryLimitIsSet(string rt)
    {
        var p = Src(rt);
        var r = RunRm(p, "cat /sys/fs/cgroup/memory/memory.limit_in_bytes", "--memory", "64m").EnsureSuccess();
        Assert.Equal("67108864\n", r.Stdout);

        var name = RunDetached(p, "mem", "while true; do sleep 0.1; done", "--memory", "64m");
        Assert.Equal(67108864, p.Inspect(name).GetProperty("HostConfig").GetProperty("Memory").GetInt64());
        // On the host, in the container's own cgroup.
        var pid = p.Inspect(name).GetProperty("State").GetProperty("Pid").GetInt32();
        var cg = File.ReadLines($"/proc/{pid}/cgroup").Select(l => l.Split(':')).First(f => f[1] == "memory")[2];
        Assert.Equal("67108864", File.ReadAllText($"/sys/fs/cgroup/memory{cg}/memory.limit_in_bytes").Trim());
    }

    [Theory]
    [InlineData("ocirun")]
    [InlineData("runc")]
    public void PidsLimitStopsForks(string rt)
    {
        var r = RunRm(Src(rt),
            "cat /sys/fs/cgroup/pids/pids.max; i=0; while [ $i -lt 60 ]; do sleep 30 & i=$((i+1)); done; cat /sys/fs/cgroup/pids/pids.current",
            "--pids-limit", "50");
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("50", lines[0]);
        Assert.True(int.Parse(lines[^1]) <= 50, r.ToString());
        Assert.Contains("can't fork", r.Stderr);
    }

    [Theory]
    [InlineData("ocirun")]
    [InlineData("runc")]
    public void ReadOnlyRootCannotBeWritten(string rt)
    {
        var r = RunRm(Src(rt), "touch /file; echo root=$?; touch /tmp/file; echo tmp=$?", "--read-only").EnsureSuccess();
        Assert.Contains("root=1", r.Stdout);
        Assert.Contains("Read-only file system", r.Stderr);
        Assert.Contains("tmp=0", r.Stdout); // --read-only-tmpfs (the default) keeps /tmp writable
    }

    [Theory]
    [InlineData("ocirun")]
    [InlineData("runc")]
    public void CapDropAllLeavesNoCapabilities(string rt)
    {
        var p = Src(rt);
        var dropped = RunRm(p, "grep -E '^Cap(Eff|Prm|Bnd)' /proc/self/status", "--cap-drop", "ALL").EnsureSuccess().Stdout;
        Assert.Matches(@"CapEff:\s+0000000000000000", dropped);
        Assert.Matches(@"CapPrm:\s+0000000000000000", dropped);
        Assert.Matches(@"CapBnd:\s+0000000000000000", dropped);
        var chown = RunRm(p, "chown 1 /tmp", "--cap-drop", "ALL");
        Assert.NotEqual(0, chown.ExitCode);
        // Podman's default set, for contrast.
        var deflt = RunRm(p, "grep CapEff /proc/self/status").EnsureSuccess().Stdout;
        Assert.Matches(@"CapEff:\s+00000000a80425fb", deflt);
    }

    [Theory]
    [InlineData("ocirun")]
    [InlineData("runc")]
    public void SeccompDefaultFiltersAndUnconfinedDoesNot(string rt)
    {
        var p = Src(rt);
        Assert.Matches(@"Seccomp:\s+2\n", RunRm(p, "grep Seccomp: /proc/self/status").EnsureSuccess().Stdout);
        Assert.Matches(@"Seccomp:\s+0\n", RunRm(p, "grep Seccomp: /proc/self/status", "--security-opt", "seccomp=unconfined").EnsureSuccess().Stdout);
    }
}
