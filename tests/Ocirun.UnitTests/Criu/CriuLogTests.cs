using Ocirun.Runtime.Criu;

namespace Ocirun.UnitTests.Criu;

public class CriuLogTests
{
    private const string Rlimit =
        "(00.041562) Error (criu/util.c:1533): rlimit: Can't setup RLIMIT_NOFILE for self: Operation not permitted";

    private static string Log(params string[] lines) =>
        string.Join('\n', new[] { "(00.000000) Version: 4.1.1 (gitid 0)", Rlimit, "(00.041583) No inventory.img image" }.Concat(lines)) + "\n";

    [Fact]
    public void SkipsTheHarmlessRlimitLine()
    {
        var e = CriuLog.FirstError(Log("(00.041586) Error (criu/protobuf.c:72): Unexpected EOF on (empty-image)",
            "(00.041600) Error (criu/cr-restore.c:2000): Restoring FAILED."));
        Assert.NotNull(e);
        Assert.Equal("Unexpected EOF on (empty-image)", e.Message);
        Assert.StartsWith("(00.041586) Error (criu/protobuf.c:72)", e.Line);
        Assert.Equal("the image directory does not hold a complete checkpoint", e.Hint);
    }

    [Fact]
    public void SkipsTheTunProbeThatDeviceRulesRefuse()
    {
        var e = CriuLog.FirstError(Log("(00.015028) Error (criu/tun.c:85): tun: Unable to create tun: Operation not permitted",
            "(00.2) Error (criu/files-reg.c:2300): File bin/busybox has bad size 1 (expect 2)"));
        Assert.Equal("File bin/busybox has bad size 1 (expect 2)", e!.Message);
    }

    [Fact]
    public void NoErrorBesidesRlimit()
    {
        Assert.Null(CriuLog.FirstError(Log("(00.050000) Dumping finished successfully")));
        Assert.Null(CriuLog.FirstError(""));
    }

    [Fact]
    public void LinesOfRestoredTasksCarryTheirPid()
    {
        var e = CriuLog.FirstError(Log("(00.120000)      1: Error (criu/cr-restore.c:1486): Can't fork for 4242: File exists"));
        Assert.Equal("Can't fork for 4242: File exists", e!.Message);
        Assert.Contains("pid recorded in the image is in use", e.Hint);
        Assert.EndsWith("(a pid recorded in the image is in use (a running process or an unreaped zombie): restore into a new pid namespace)", e.ToString());
    }

    [Theory]
    [InlineData("Error (criu/files-reg.c:1930): Can't lookup mount=1234 for fd=1 path=/dev/pts/0", "an open file is on a mount CRIU cannot see")]
    [InlineData("Error (criu/sk-unix.c:700): sk unix: External socket is used. Consider using --ext-unix-sk option.", "--ext-unix-sk")]
    [InlineData("Error (criu/pstree.c:300): The root process 32661 is not a session leader. Consider using --shell-job option", "--shell-job")]
    [InlineData("Error (criu/mount.c:1080): mnt: 123:./proc/kcore doesn't have a proper root mount", "external mount")]
    [InlineData("Error (criu/mem.c:45): Tracking memory is not available", "soft-dirty")]
    [InlineData("Error (criu/kerndat.c:1): Dirty tracking is OFF. Memory snapshot will not work.", "soft-dirty")]
    [InlineData("Error (criu/net.c:1): Can't create tun: Operation not supported", "`criu check --all`")]
    public void Hints(string error, string hintPart) =>
        Assert.Contains(hintPart, CriuLog.FirstError("(00.1) " + error)!.Hint);

    [Fact]
    public void UnknownErrorHasNoHint() =>
        Assert.Null(CriuLog.FirstError("(00.2) Error (criu/x.c:1): something new")!.Hint);

    [Fact]
    public void ReadsTheLogFromTheWorkDir()
    {
        var dir = Directory.CreateTempSubdirectory("criu-log-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "dump.log"), Log("(00.3) Error (criu/cr-dump.c:1): boom"));
            Assert.Equal("boom", CriuLog.ReadFirstError(dir, "dump.log")!.Message);
            Assert.Null(CriuLog.ReadFirstError(dir, "restore.log"));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
