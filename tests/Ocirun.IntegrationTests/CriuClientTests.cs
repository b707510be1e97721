using System.Diagnostics;
using System.IO.Pipes;
using System.Runtime.InteropServices;
using Ocirun.Runtime.Criu;

namespace Ocirun.IntegrationTests;

/// <summary>
/// The CRIU RPC client against the real CRIU that `make deps` installs (root): version, features,
/// and a dump/restore round trip of a process tree started here.
/// </summary>
[Collection(nameof(HostCriu))]
public sealed partial class CriuClientTests : IDisposable
{
    private readonly CriuClient _criu = new(CriuLocator.Find());
    private readonly string _dir = Directory.CreateTempSubdirectory("ocirun-criu-").FullName;
    private readonly List<Process> _victims = [];
    private readonly List<int> _restored = [];
    private readonly List<int> _fds = [];

    public void Dispose()
    {
        foreach (var p in _victims)
        {
            if (!p.HasExited)
            {
                p.Kill();
                p.WaitForExit();
            }
            p.Dispose();
        }
        // Restored tasks are our children (rst_sibling) that Process does not know about.
        foreach (var pid in _restored)
        {
            kill(pid, 9);
            waitpid(pid, 0, 0);
        }
        _fds.ForEach(fd => close(fd));
        Directory.Delete(_dir, true);
    }

    [Fact]
    public void VersionIsWhatMakeDepsInstalls()
    {
        // scripts/criu.sh installs 4.2.1: the first CRIU that can dump TCP sockets on Linux >= 6.16.
        var v = _criu.Version();
        Assert.Equal((4, 2, 1), (v.Major, v.Minor, v.Sublevel));
        Assert.Null(v.GitId);
        CriuVersionGate.Check(v);
    }

    [Fact]
    public void FeatureCheckMatchesThisKernel()
    {
        // criu-integration.md §6.2: uffd is there, soft-dirty is not.
        var f = _criu.FeatureCheck(memTrack: true, lazyPages: true);
        Assert.Equal((false, true), (f.MemTrack, f.LazyPages));
    }

    [Fact]
    public void DumpThenRestoreAsOurChildWithNewStdout()
    {
        var victim = StartVictim();
        var oldPipe = Link($"/proc/{victim.Id}/fd/1");
        Assert.StartsWith("pipe:[", oldPipe);
        int images = OpenDir("images"), work = OpenDir("work");

        var dumpNotes = new List<string>();
        // The version is asked with keep_open: the same worker then serves the dump.
        using var worker = _criu.Start();
        Assert.Equal((4, 2, 1), (worker.GatedVersion().Major, worker.GatedVersion().Minor, worker.GatedVersion().Sublevel));
        var dump = worker.Call(new CriuReq { Type = CriuReqType.Dump, Opts = Opts(images, work, "dump.log", o => o.Pid = victim.Id) },
            (script, _, _) => { dumpNotes.Add(script); return true; });
        Assert.True(dump.Success, Failure(dump, "dump.log"));
        Assert.Equal(["pre-dump", "query-ext-files", "post-dump"], dumpNotes);
        Assert.True(victim.WaitForExit(10_000)); // killed by CRIU; reaped so that its pid is free again
        Assert.True(File.Exists(Path.Combine(_dir, "images", "inventory.img")));
        Assert.Null(CriuLog.ReadFirstError(Path.Combine(_dir, "work"), "dump.log"));
        Assert.True(CriuStats.ReadDump(Path.Combine(_dir, "work"))!.PagesWritten > 0);

        // The restored stdout is a new pipe, handed over as CRIU's fd 4 (inherit_fd).
        using var pipe = new AnonymousPipeServerStream(PipeDirection.In, HandleInheritability.None);
        int newWriteEnd = (int)pipe.ClientSafePipeHandle.DangerousGetHandle();
        var notes = new List<(string, int)>();
        var restore = _criu.Call(new CriuReq
        {
            Type = CriuReqType.Restore,
            Opts = Opts(images, work, "restore.log", o =>
            {
                o.RstSibling = true;
                o.InheritFd.Add(new InheritFd { Key = oldPipe, Fd = 4 });
            }),
        }, (script, pid, fd) =>
        {
            notes.Add((script, pid));
            if (script == "post-restore")
            {
                _restored.Add(pid);
            }
            return fd == null;
        }, [(newWriteEnd, 4)]);
        Assert.True(restore.Success, Failure(restore, "restore.log"));

        int restored = restore.Restore.Pid;
        Assert.Equal(victim.Id, restored);
        Assert.Equal([("pre-restore", 0), ("post-restore", restored), ("pre-resume", 0), ("post-resume", 0)], notes);
        Assert.Equal("sleep", File.ReadAllText($"/proc/{restored}/comm").Trim());
        Assert.Equal(Environment.ProcessId, ParentOf(restored));
        Assert.Equal(Link($"/proc/self/fd/{newWriteEnd}"), Link($"/proc/{restored}/fd/1"));
        Assert.True(CriuStats.ReadRestore(Path.Combine(_dir, "work"))!.RestoreTime > 0);
    }

    [Fact]
    public void FailingCallbackAbortsTheDumpAndIsRethrown()
    {
        var victim = StartVictim();
        int images = OpenDir("images"), work = OpenDir("work");
        var e = Assert.Throws<InvalidOperationException>(() => _criu.Call(
            new CriuReq { Type = CriuReqType.Dump, Opts = Opts(images, work, "dump.log", o => o.Pid = victim.Id) },
            (script, _, _) => script == "post-dump" ? throw new InvalidOperationException("hook failed") : true));
        Assert.Equal("hook failed", e.Message);
        Thread.Sleep(200);
        Assert.False(victim.HasExited); // CRIU resumes the tree when post-dump fails
    }

    [Fact]
    public void RestoreFromEmptyDirFailsWithTheReasonInTheLog()
    {
        int images = OpenDir("images"), work = OpenDir("work");
        var r = _criu.Call(new CriuReq { Type = CriuReqType.Restore, Opts = Opts(images, work, "restore.log", o => o.RstSibling = true) });
        Assert.False(r.Success);
        Assert.Equal(-1, r.Restore.Pid);
        var err = CriuLog.ReadFirstError(Path.Combine(_dir, "work"), "restore.log");
        Assert.Equal("Unexpected EOF on (empty-image)", err!.Message);
        Assert.Equal("the image directory does not hold a complete checkpoint", err.Hint);
    }

    private CriuOpts Opts(int images, int work, string log, Action<CriuOpts> more)
    {
        var o = new CriuOpts { ImagesDirFd = images, WorkDirFd = work, LogLevel = 4, LogFile = log, NotifyScripts = true };
        more(o);
        return o;
    }

    private string Failure(CriuResp r, string log) =>
        $"errno {r.CrErrno}: {CriuLog.ReadFirstError(Path.Combine(_dir, "work"), log)}";

    /// <summary>A session leader with stdin/stderr on /dev/null and stdout on a pipe, cwd in our dir.</summary>
    private Process StartVictim()
    {
        var cwd = Directory.CreateDirectory(Path.Combine(_dir, "cwd")).FullName;
        var p = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", "exec setsid sleep 1000 </dev/null 2>/dev/null"])
        {
            WorkingDirectory = cwd,
            RedirectStandardOutput = true,
        })!;
        _victims.Add(p);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (File.ReadAllText($"/proc/{p.Id}/comm").Trim() != "sleep")
        {
            Assert.True(DateTime.UtcNow < deadline, "victim did not exec sleep");
            Thread.Sleep(10);
        }
        return p;
    }

    private int OpenDir(string name)
    {
        var path = Directory.CreateDirectory(Path.Combine(_dir, name)).FullName;
        int fd = open(path, 0x10000 | 0x80000 /* O_DIRECTORY | O_CLOEXEC */);
        Assert.True(fd >= 0, $"open {path}: errno {Marshal.GetLastPInvokeError()}");
        _fds.Add(fd);
        return fd;
    }

    private static string Link(string path) => new FileInfo(path).LinkTarget!;

    private static int ParentOf(int pid) => int.Parse(File.ReadAllLines($"/proc/{pid}/status")
        .First(l => l.StartsWith("PPid:"))["PPid:".Length..].Trim());

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags);

    [LibraryImport("libc")]
    private static partial int close(int fd);

    [LibraryImport("libc")]
    private static partial int kill(int pid, int sig);

    [LibraryImport("libc")]
    private static partial int waitpid(int pid, nint status, int options);
}
