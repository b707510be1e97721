using Ocirun.E2ETests.Harness;
using Ocirun.Tests.Shared;

namespace Ocirun.E2ETests;

/// <summary>
/// A non-root user whose Podman is configured by the README's rootless block (ocirun as its
/// runtime, its own storage under its home), which also imports the busybox image.
/// </summary>
public sealed class RootlessPodmanFixture : IDisposable
{
    public RootlessPodmanFixture()
    {
        Directory.CreateDirectory(E2EEnv.Base);
        User = new RootlessUser("ocirun-rlp", Path.Combine(E2EEnv.Base, "rootless-" + Guid.NewGuid().ToString("n")[..8]), 400000);
        try
        {
            // The block imports rootfs/ as localhost/busybox (the image the tests use), then runs it.
            File.CreateSymbolicLink(Path.Combine(User.Home, "rootfs"), E2EEnv.Rootfs);
            Readme = User.Run("sh", ["-euc", ReadmeBlock.Get("rootless-podman", E2EEnv.Bin)], TimeSpan.FromMinutes(2));
        }
        catch
        {
            User.Dispose();
            throw;
        }
    }

    public RootlessUser User { get; }

    /// <summary>What the README's block printed (its last command runs a container).</summary>
    public ProcResult Readme { get; }

    public ProcResult Podman(params string[] args) => User.Run("podman", args, TimeSpan.FromMinutes(2));

    public void Dispose()
    {
        PodmanHost.Try(() => Podman("rm", "-a", "-f", "-t", "0"));
        PodmanHost.Try(() => Podman("rmi", "-a", "-f"));
        User.Dispose();
        PodmanHost.Try(() =>
        {
            if (!Directory.EnumerateFileSystemEntries(E2EEnv.Base).Any())
            {
                Directory.Delete(E2EEnv.Base);
            }
        });
    }
}

/// <summary>
/// Rootless Podman with ocirun, side by side with runc: run, exec, logs, stop, rm with
/// `--network none`; checkpoint is refused by Podman itself for every runtime.
/// </summary>
public sealed class RootlessPodmanTests(RootlessPodmanFixture fixture) : IClassFixture<RootlessPodmanFixture>
{
    private readonly RootlessPodmanFixture _f = fixture;

    [Fact]
    public void TheReadmesBlockRunsAContainerWithOcirun()
    {
        _f.Readme.EnsureSuccess();
        Assert.EndsWith("hello from ocirun\n", _f.Readme.Stdout);
    }

    [Theory]
    [InlineData("ocirun")]
    [InlineData("runc")]
    public void RunExecLogsStopAndRmWorkAsWithRunc(string runtime)
    {
        var name = $"rl-{runtime}-{Guid.NewGuid().ToString("n")[..6]}";
        _f.Podman("--runtime", runtime, "run", "-d", "--name", name, "--network", "none", E2EEnv.Image,
            "sh", "-c", "i=0; while true; do echo $i; i=$((i+1)); sleep 0.2; done").EnsureSuccess();
        try
        {
            Assert.Equal(runtime, _f.Podman("inspect", "--format", "{{.OCIRuntime}}", name).EnsureSuccess().Stdout.Trim());
            // Root in the container is the user outside; uid 1 is the first subordinate id.
            Assert.Equal($"0\n0 {_f.User.Uid} 1\n1 {_f.User.SubidStart} 65536\n",
                string.Join('\n', _f.Podman("exec", name, "sh", "-c", "id -u; cat /proc/self/uid_map").EnsureSuccess().Stdout
                    .Split('\n').Select(l => string.Join(' ', l.Split(' ', StringSplitOptions.RemoveEmptyEntries)))));
            Poll.Until(() => _f.Podman("logs", name).Stdout.Contains("\n3\n"), "the counter's log", 20);
            Assert.StartsWith("0\n1\n2\n3\n", _f.Podman("logs", name).Stdout);
            Assert.StartsWith("Up", _f.Podman("ps", "--filter", $"name={name}", "--format", "{{.Status}}").EnsureSuccess().Stdout);
            _f.Podman("stop", "-t", "1", name).EnsureSuccess();
            Assert.StartsWith("Exited", _f.Podman("ps", "-a", "--filter", $"name={name}", "--format", "{{.Status}}").EnsureSuccess().Stdout);
        }
        finally
        {
            _f.Podman("rm", "-f", "-t", "0", name).EnsureSuccess();
        }
        Assert.Equal("", _f.Podman("ps", "-a", "--filter", $"name={name}", "-q").EnsureSuccess().Stdout);
    }

    [Theory]
    [InlineData("ocirun")]
    [InlineData("runc")]
    public void CheckpointNeedsRootInPodmanWhateverTheRuntime(string runtime)
    {
        var name = $"rlc-{runtime}-{Guid.NewGuid().ToString("n")[..6]}";
        _f.Podman("--runtime", runtime, "run", "-d", "--name", name, "--network", "none", E2EEnv.Image, "sleep", "300").EnsureSuccess();
        try
        {
            var r = _f.Podman("container", "checkpoint", name);
            Assert.NotEqual(0, r.ExitCode);
            Assert.Contains("checkpointing a container requires root", r.Stderr);
            Assert.StartsWith("Up", _f.Podman("ps", "--filter", $"name={name}", "--format", "{{.Status}}").EnsureSuccess().Stdout);
        }
        finally
        {
            _f.Podman("rm", "-f", "-t", "0", name).EnsureSuccess();
        }
    }
}
