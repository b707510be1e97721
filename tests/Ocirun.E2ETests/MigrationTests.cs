using Ocirun.E2ETests.Harness;

namespace Ocirun.E2ETests;

/// <summary>
/// Live migration between two "hosts": two Podman instances with separate storage,
/// configuration and libpod state, the destination in a network namespace of its own.
/// </summary>
public sealed class MigrationTests(PodmanFixture fixture) : PodmanTest(fixture)
{
    public const string NetNsName = "ocirun-e2e-dst";

    [Theory]
    [InlineData("ocirun")]
    [InlineData("runc")]
    public void CheckpointExportedHereContinuesThere(string rt)
    {
        var src = Src(rt);
        var netns = Own(new NetNs(NetNsName));
        var dst = Own(new PodmanHost("dst", netns)).For(rt);
        // The same image on both hosts (as both would pull it from one registry).
        dst.Ok("load", "-q", "-i", Fixture.ImageArchive);

        var volume = Volume(src, "mig");
        src.Ok("volume", "create", volume);
        var name = RunDetached(src, "migrate", "echo moved > /vol/f; echo tmp > /scratch/f; " + Counter.Loop,
            "-v", $"{volume}:/vol", "--tmpfs", "/scratch");
        Counter.WaitForMore(src, name, -1, 5);

        var archive = Path.Combine(HostDir("migrate"), "checkpoint.tar");
        src.Ok("container", "checkpoint", $"--export={archive}", name);
        var last = Counter.Last(src, name);

        Assert.Empty(dst.Ps(all: true));
        dst.Ok("container", "restore", $"--import={archive}");
        Assert.StartsWith("Up", dst.Status(name, all: false));
        Assert.Equal(rt, dst.Inspect(name).GetProperty("OCIRuntime").GetString());
        Assert.Equal("moved\ntmp\n", dst.Ok("exec", name, "cat", "/vol/f", "/scratch/f").Stdout);
        Assert.Contains(volume, dst.Ok("volume", "ls", "-q").Stdout);
        Counter.AssertContinued(dst, name, last);

        // The source still has its (exited) container, the destination the running one.
        Assert.StartsWith("Exited", src.Status(name));
        Assert.DoesNotContain(src.Ps(), c => c.Name == name);

        // conmon (and so the container's parent) lives in the destination's network namespace.
        var conmon = dst.Inspect(name).GetProperty("State").GetProperty("ConmonPid").GetInt32();
        var inode = Proc.Run("stat", "-L", "-c", "%i", $"/run/netns/{NetNsName}").EnsureSuccess().Stdout.Trim();
        Assert.Equal($"net:[{inode}]", Proc.Run("readlink", $"/proc/{conmon}/ns/net").Stdout.Trim());
    }
}
