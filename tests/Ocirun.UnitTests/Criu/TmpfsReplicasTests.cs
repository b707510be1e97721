using Ocirun.Runtime.Criu;
using Ocirun.Spec.Model;

namespace Ocirun.UnitTests.Criu;

public sealed class TmpfsReplicasTests
{
    private static readonly Dictionary<string, string> V1 = new() { ["memory"] = "/sys/fs/cgroup/memory/c1", ["pids"] = "/sys/fs/cgroup/pids/c1" };
    private static readonly Dictionary<string, string> V2Only = new() { [Ocirun.Runtime.Cgroups.CgroupMount.V2Key] = "/sys/fs/cgroup/c1" };

    private static Spec.Model.Spec SpecWith(params string[] namespaces) => new()
    {
        OciVersion = "1.2.0",
        Mounts =
        [
            new Mount { Destination = "/proc", Type = "proc", Source = "proc" },
            new Mount { Destination = "/dev", Type = "tmpfs", Source = "tmpfs", Options = ["nosuid", "mode=755"] },
            new Mount { Destination = "/dev/shm", Type = "tmpfs", Source = "shm" },
            new Mount { Destination = "/data", Type = "bind", Source = "/srv", Options = ["rbind"] },
            new Mount { Destination = "/sys/fs/cgroup", Type = "cgroup", Source = "cgroup", Options = ["ro"] },
        ],
        Linux = new Spec.Model.Linux { Namespaces = namespaces.Select(n => new Namespace { Type = n }).ToList() },
    };

    [Fact]
    public void TmpfsMountsAndAV1CgroupTmpfsAreCandidates() =>
        Assert.Equal(["/dev", "/dev/shm", "/sys/fs/cgroup"], TmpfsReplicas.Candidates(SpecWith("mount"), V1));

    [Fact]
    public void ACgroup2OnlyHostHasNoCgroupTmpfs()
    {
        Assert.Equal(["/dev", "/dev/shm", "/sys/fs/cgroup"], TmpfsReplicas.Candidates(SpecWith("mount", "cgroup"), V1));
        Assert.Equal(["/dev", "/dev/shm"], TmpfsReplicas.Candidates(SpecWith("mount"), V2Only));
    }

    [Fact]
    public void NoneInAUserNamespace() => Assert.Empty(TmpfsReplicas.Candidates(SpecWith("mount", "user"), V1));

    [Fact]
    public void EveryCopyHasANameOfItsDestinationInDumpAndRestore()
    {
        var dump = CriuMounts.ForCopiedTmpfs(["/dev", "/dev/shm"]);
        Assert.Equal(["/dev=ocirun-tmpfs:/dev", "/dev/shm=ocirun-tmpfs:/dev/shm"], dump.Select(e => $"{e.Key}={e.Val}"));
        var restore = CriuMounts.ForRestore(SpecWith("mount"), V1, tmpfsCopies: new Dictionary<string, string> { ["/dev"] = "/run/x/0/dev" });
        Assert.Contains("ocirun-tmpfs:/dev=/run/x/0/dev", restore.Select(e => $"{e.Key}={e.Val}"));
    }

    [Fact]
    public void RemovingTakesOnlyDirectoriesNeverAFile()
    {
        // A copy still attached (bound into a restored container) keeps its nodes.
        var dir = Directory.CreateTempSubdirectory("ocirun-ut-copies-").FullName;
        Directory.CreateDirectory(Path.Combine(dir, "0", "dev"));
        Directory.CreateDirectory(Path.Combine(dir, "1", "dev", "shm"));
        File.WriteAllText(Path.Combine(dir, "0", "dev", "null"), "");
        try
        {
            TmpfsReplicas.Remove(dir);
            Assert.True(File.Exists(Path.Combine(dir, "0", "dev", "null")));
            Assert.False(Directory.Exists(Path.Combine(dir, "1")));
            File.Delete(Path.Combine(dir, "0", "dev", "null"));
            TmpfsReplicas.Remove(dir);
            Assert.False(Directory.Exists(dir));
        }
        finally
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }
}
