using Ocirun.Runtime.Interop;
using Ocirun.Runtime.Linux;
using static Ocirun.Runtime.Interop.Consts;

namespace Ocirun.Runtime.Criu;

/// <summary>
/// Where a checkpoint writes its images: a staging directory next to the image directory,
/// moved into place (rename, or an atomic exchange with a previous checkpoint there) only once
/// CRIU succeeded and the manifest is written. A checkpoint killed at any moment leaves the
/// previous images or none, never a half set. Images are written in place instead where the
/// target already holds files that are not a checkpoint's (the caller's own), and for lazy
/// pages and page servers, whose images are not one set in one place.
/// </summary>
internal sealed class StagedImages : IDisposable
{
    private const string StagePrefix = ".ocirun-staging-";
    private const int RENAME_EXCHANGE = 2;
    private bool _committed;

    private StagedImages(string target, string dir)
    {
        Target = target;
        Dir = dir;
    }

    /// <summary>The image directory the caller named.</summary>
    public string Target { get; }

    /// <summary>Where CRIU writes now.</summary>
    public string Dir { get; }

    public bool Staged => Dir != Target;

    public static StagedImages Create(string target, bool allowStaging)
    {
        var parent = Path.GetDirectoryName(target) ?? "/";
        var name = Path.GetFileName(target);
        const UnixFileMode owner = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        Directory.CreateDirectory(parent);
        // Left by checkpoints that were killed: never committed, never to be.
        foreach (var stale in Directory.GetDirectories(parent, $"{StagePrefix}{name}-*"))
        {
            Directory.Delete(stale, recursive: true);
        }
        if (!allowStaging || HoldsOtherFiles(target))
        {
            Directory.CreateDirectory(target, owner);
            return new StagedImages(target, target);
        }
        var dir = Path.Combine(parent, $"{StagePrefix}{name}-{Guid.NewGuid():n}");
        Directory.CreateDirectory(dir, owner);
        return new StagedImages(target, dir);
    }

    /// <summary>Puts the staged images where the caller asked for them (a previous set there goes).</summary>
    public unsafe void Commit()
    {
        if (!Staged)
        {
            return;
        }
        if (!Directory.Exists(Target) || !Directory.EnumerateFileSystemEntries(Target).Any())
        {
            // rename(2) replaces an empty directory in one step.
            LinuxException.Check(Libc.rename(Dir, Target), $"rename {Dir} to {Target}");
        }
        else
        {
            fixed (byte* from = Sys.CString(Dir), to = Sys.CString(Target))
            {
                LinuxException.Check(Libc.syscall(SYS_renameat2, AT_FDCWD, (long)from, AT_FDCWD, (long)to, RENAME_EXCHANGE),
                    $"exchange {Dir} with {Target}");
            }
            // Dir now holds the previous checkpoint.
            Directory.Delete(Dir, recursive: true);
        }
        _committed = true;
    }

    /// <summary>A failed checkpoint's log goes where the caller looks for it: the image directory.</summary>
    public string KeepLog(string logFile)
    {
        var log = Path.Combine(Dir, logFile);
        if (!Staged || !File.Exists(log))
        {
            return Dir;
        }
        Directory.CreateDirectory(Target);
        File.Move(log, Path.Combine(Target, logFile), overwrite: true);
        return Target;
    }

    public void Dispose()
    {
        if (Staged && !_committed && Directory.Exists(Dir))
        {
            Directory.Delete(Dir, recursive: true);
        }
    }

    /// <summary>Files there that no checkpoint wrote: they are the caller's, and stay.</summary>
    private static bool HoldsOtherFiles(string target) =>
        Directory.Exists(target) && !File.Exists(Path.Combine(target, "inventory.img"))
        && Directory.EnumerateFileSystemEntries(target).Any(e => !e.EndsWith(".log", StringComparison.Ordinal));
}
