using Ocirun.E2ETests.Harness;
using Ocirun.Tests.Shared;
using Xunit.Abstractions;

namespace Ocirun.E2ETests;

/// <summary>
/// `make demo-systemd` as a test: Podman with cgroup_manager = "systemd" (it passes
/// --systemd-cgroup to the runtime) in a host with systemd as PID 1 (this machine's OS booted
/// in systemd-nspawn), the seed workflow with runc 1.3.6 and with ocirun: run, exec, update,
/// pause, checkpoint, restore, export, import x3, stop, rm.
/// </summary>
public sealed class SystemdPodmanTests(ITestOutputHelper output)
{
    private Dictionary<string, string> Workflow(string runtime)
    {
        var r = Proc.Run([Path.Combine(RepoPaths.Root, "scripts", "demo-systemd.sh"), E2EEnv.Bin, E2EEnv.Rootfs, runtime],
            TimeSpan.FromMinutes(5));
        output.WriteLine(r.Stdout);
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        var line = r.Stdout.Split('\n').Single(l => l.StartsWith("result: ", StringComparison.Ordinal));
        return line["result: ".Length..].Split(' ').Select(kv => kv.Split('=', 2)).ToDictionary(kv => kv[0], kv => kv[1]);
    }

    [Fact]
    public void TheSeedWorkflowRunsUnderSystemdsCgroupManagerAsWithRunc()
    {
        var runc = Workflow("/opt/ocirun/runc13/runc");
        var ours = Workflow(E2EEnv.Bin);
        Assert.Equal("ocirun", ours["runtime"]);
        Assert.StartsWith("libpod-", ours["scope"]);
        foreach (var key in new[] { "memory", "continued", "copies", "paused", "exec_scope" })
        {
            Assert.True(runc[key] == ours[key], $"{key}: runc {runc[key]}, ocirun {ours[key]}");
        }
        // The scope carried the limits: 64m from `run`, 96m after `update`.
        Assert.Equal((96L << 20).ToString(), ours["memory"]);
        Assert.Equal("yes", ours["continued"]);
        Assert.Equal("3", ours["copies"]);
        Assert.Equal("yes", ours["exec_scope"]);
        Assert.False(Directory.Exists("/run/ocirun-machines"), "a machine was left running");
    }
}
