using Ocirun.Runtime.Criu;

namespace Ocirun.UnitTests.Criu;

public sealed class MountNamespaceYardTests
{
    [Fact]
    public void TheYardIsFoundWhereverCriuLogsIt()
    {
        const string log = """
            (00.116797)      1: mnt-v2: Create plain mountpoint /tmp/.criu.mntns.PFV4J8/mnt-0000000051 for 51
            (00.254450)      1: mnt: Move the root to /tmp/.criu.mntns.PFV4J8/13-0000000000
            (00.300000) Unlink /tmp/.criu.mntns.aB3dE9
            (00.300001) not a yard: /tmp/.criu.mntns.toolongname/x /tmp/.criu.mntns.ab
            """;
        Assert.Equal(["/tmp/.criu.mntns.PFV4J8", "/tmp/.criu.mntns.aB3dE9"], MountNamespaceYard.Named(log));
    }

    [Fact]
    public void NoLogIsTheUsualCaseAndThrowsNothing()
    {
        // Every restore into a fresh work directory takes this path; a thrown and caught
        // exception costs a NativeAOT process about 10 ms.
        var dir = Directory.CreateTempSubdirectory("ocirun-ut-yard-").FullName;
        var thrown = new List<Exception>();
        void Record(object? _, System.Runtime.ExceptionServices.FirstChanceExceptionEventArgs e)
        {
            if (e.Exception.Message.Contains(dir))
            {
                lock (thrown)
                {
                    thrown.Add(e.Exception);
                }
            }
        }
        AppDomain.CurrentDomain.FirstChanceException += Record;
        try
        {
            MountNamespaceYard.RemoveLeftInWorkDir(dir, "restore.log");
        }
        finally
        {
            AppDomain.CurrentDomain.FirstChanceException -= Record;
            Directory.Delete(dir);
        }
        Assert.Empty(thrown);
    }
}
