using Ocirun.IntegrationTests.Harness;
using Ocirun.Spec.Model;

namespace Ocirun.IntegrationTests;

/// <summary>
/// CPU affinity as runc 1.3 sets it: execCPUAffinity (runtime-spec 1.2) for exec'd
/// processes, and every CPU of the cpuset for the rest, whatever the caller was pinned to.
/// This VM has CPUs 0 and 1.
/// </summary>
public sealed class CpuAffinityTests : IDisposable
{
    private readonly Harness.Runtime _rt = new();
    private static readonly string AllCpus = Mask(File.ReadAllText("/proc/self/status"));

    public void Dispose() => _rt.Dispose();

    private static string Mask(string status) =>
        status.Split('\n').Single(l => l.StartsWith("Cpus_allowed_list:", StringComparison.Ordinal)).Split('\t')[1].Trim();

    /// <summary>ocirun run by a caller pinned to one CPU (taskset), as a kubelet may be.</summary>
    private CommandResult Pinned(string cpu, params string[] args) =>
        Run.Program("taskset", new[] { "-c", cpu, TestEnv.Bin, "--root", _rt.Root }.Concat(args));

    [Fact]
    public void TheInitGetsEveryCpuOfItsCpusetNotTheCallers()
    {
        Assert.Equal("0-1", AllCpus);
        using var b = new Bundle("grep", "Cpus_allowed_list:", "/proc/self/status");
        Assert.Equal("0-1", Mask(Pinned("1", "run", "--bundle", b.Dir, "c1").EnsureSuccess().Stdout));
        b.Spec.Linux!.Resources = new Resources { Cpu = new CpuResources { Cpus = "1", Mems = "0" } };
        b.Write();
        Assert.Equal("1", Mask(Pinned("0", "run", "--bundle", b.Dir, "c2").EnsureSuccess().Stdout));
    }

    [Fact]
    public void ExecWithoutAffinityGetsEveryCpuNotTheCallers()
    {
        using var b = new Bundle("sleep", "300");
        _rt.RunDetached(b.Dir, "c1", "sleep");
        Assert.Equal("0-1", Mask(Pinned("0", "exec", "c1", "grep", "Cpus_allowed_list:", "/proc/self/status").EnsureSuccess().Stdout));
    }

    [Theory]
    [InlineData("1", null, "1")]          // only initial: the process keeps it
    [InlineData("0", null, "0")]
    [InlineData("0", "1", "1")]           // final wins once in the cgroup
    [InlineData("0-1", "0", "0")]
    public void ExecProcessAffinityFromProcessJson(string initial, string? final, string expected)
    {
        using var b = new Bundle("sleep", "300");
        _rt.RunDetached(b.Dir, "c1", "sleep");
        var affinity = final == null ? $"\"initial\": \"{initial}\"" : $"\"initial\": \"{initial}\", \"final\": \"{final}\"";
        var process = Path.Combine(b.Dir, "process.json");
        File.WriteAllText(process, $$"""
            {"terminal": false, "cwd": "/", "env": ["PATH=/bin"], "execCPUAffinity": { {{affinity}} },
             "args": ["grep", "Cpus_allowed_list:", "/proc/self/status"]}
            """);
        Assert.Equal(expected, Mask(_rt.Ok("exec", "--process", process, "c1").Stdout));
    }

    [Fact]
    public void ConfigJsonAffinityAppliesToExecNotToTheInit()
    {
        using var b = new Bundle("sh", "-c", "grep Cpus_allowed_list: /proc/self/status > /init.cpus; exec sleep 300");
        b.Spec.Process!.ExecCPUAffinity = new ExecCpuAffinity { Initial = "0", Final = "1" };
        b.Spec.Root!.Readonly = false;
        b.Write();
        _rt.RunDetached(b.Dir, "c1", "sleep");
        Assert.Equal("0-1", Mask(File.ReadAllText(Path.Combine(b.Rootfs, "init.cpus"))));
        Assert.Equal("1", Mask(_rt.Ok("exec", "c1", "grep", "Cpus_allowed_list:", "/proc/self/status").Stdout));
    }

    [Fact]
    public void ABadSetFailsCreateInRuncsWords()
    {
        using var b = new Bundle("true");
        b.Spec.Process!.ExecCPUAffinity = new ExecCpuAffinity { Initial = "3-1" };
        b.Write();
        _rt.AssertCreateFailsCleanly(b, "bad CPUAffinity.Initial: invalid range: 3-1");
    }
}
