using Ocirun.Runtime.Linux;
using static Ocirun.Runtime.Interop.Consts;

namespace Ocirun.Runtime.Criu;

/// <summary>
/// A tmpfs the container changed, archived by ocirun instead of CRIU. CRIU archives a tmpfs
/// with tar and gzip from inside its mount dump, one tmpfs after the other, and unpacks it the
/// same way on restore: two process starts each way (about 20 ms) while the container is
/// frozen. ocirun runs tar itself, without gzip, with CRIU's own options, on the clone of the
/// mount it compared (<see cref="TmpfsReplicas"/>), while CRIU dumps the rest; the tmpfs is an
/// external mount in the images, and a restore unpacks the archive into a fresh tmpfs mounted
/// as create mounts it and has CRIU bind that.
/// </summary>
public static class TmpfsArchives
{
    // CRIU's options (criu/filesystems.c), but for --gzip: the archive is read back once, here.
    private static readonly string[] CreateOptions =
        ["--no-unquote", "--no-wildcards", "--one-file-system", "--check-links", "--preserve-permissions", "--sparse", "--numeric-owner"];

    private static readonly string[] ExtractOptions = ["--no-unquote", "--no-wildcards", "--preserve-permissions", "--numeric-owner"];

    private const string Prefix = "ocirun-tmpfs-", Suffix = ".tar";

    /// <summary>The archive's name among the images, from the tmpfs's destination.</summary>
    public static string FileName(string destination) => Prefix + Uri.EscapeDataString(destination) + Suffix;

    /// <summary>The archive of the tmpfs at destination among the images in dir, or null if they hold none.</summary>
    public static string? In(string dir, string destination) =>
        Path.Combine(dir, FileName(destination)) is var path && File.Exists(path) ? path : null;

    /// <summary>
    /// Removes the archives an earlier checkpoint left in dir (images written in place, not
    /// staged): a restore would take one for a tmpfs this checkpoint made again instead.
    /// </summary>
    public static void RemoveOld(string dir)
    {
        foreach (var old in Directory.EnumerateFiles(dir, Prefix + "*" + Suffix))
        {
            File.Delete(old);
        }
    }

    /// <summary>tar, or null where there is none (then CRIU archives the tmpfs, as before).</summary>
    public static string? Tar() => CriuLocator.FindTool("tar");

    /// <summary>Starts archiving the tree mounted at treeFd (a detached clone) into archive; returns tar's pid.</summary>
    public static int StartCreate(string tar, int treeFd, string archive)
    {
        using var output = new Fd(Sys.Open(archive, O_WRONLY | O_CREAT | O_TRUNC, 0x180));
        using var devNull = new Fd(Sys.Open("/dev/null", O_RDWR));
        return Spawner.Spawn(tar, ["tar", "--create", .. CreateOptions, "--directory", "/proc/self/fd/0", "."], [],
            [(treeFd, 0), (output.Value, 1), (devNull.Value, 2)]);
    }

    /// <summary>Starts unpacking archive into the directory dir; returns tar's pid.</summary>
    private static int StartExtract(string archive, string dir)
    {
        var tar = Tar() ?? throw new ContainerException($"tmpfs: no tar in PATH to unpack {archive}");
        using var input = new Fd(Sys.Open(archive, O_RDONLY));
        using var devNull = new Fd(Sys.Open("/dev/null", O_RDWR));
        return Spawner.Spawn(tar, ["tar", "--extract", .. ExtractOptions, "--directory", dir], [],
            [(input.Value, 0), (devNull.Value, 1), (devNull.Value, 2)]);
    }

    /// <summary>Waits for a tar; fails naming what it did.</summary>
    public static void Wait(int pid, string what)
    {
        int code = Sys.ExitCodeOf(Sys.WaitPid(pid));
        if (code != 0)
        {
            throw new ContainerException($"tmpfs: tar could not {what} (exit status {code})");
        }
    }

    /// <summary>
    /// The archives a restore unpacks into fresh tmpfs copies: each tar runs while the restore
    /// prepares the rest (a tar's start and run are some 4 ms). Finish waits for them, then does
    /// what each copy needs afterwards (its read-only remount); tars not waited for are killed.
    /// </summary>
    public sealed class Unpacking(string imageDir) : IDisposable
    {
        private readonly List<(int Pid, string Archive, Action Then)> _running = [];

        /// <summary>The archive of the tmpfs at destination among the images, or null.</summary>
        public string? ArchiveOf(string destination) => In(imageDir, destination);

        public void Start(string archive, string dir, Action then) => _running.Add((StartExtract(archive, dir), archive, then));

        /// <summary>Waits for every tar; fails if one did.</summary>
        public void Finish()
        {
            while (_running.Count > 0)
            {
                var (pid, archive, then) = _running[0];
                _running.RemoveAt(0);
                TmpfsArchives.Wait(pid, $"unpack {archive}");
                then();
            }
        }

        public void Dispose()
        {
            foreach (var (pid, _, _) in _running)
            {
                Sys.KillAndReap(pid);
            }
            _running.Clear();
        }
    }

    /// <summary>The tars archiving while CRIU dumps: waited for once CRIU answered, killed if the checkpoint fails.</summary>
    public sealed class Runs : IDisposable
    {
        private readonly List<(int Pid, string Destination)> _running = [];

        public void Add(int pid, string destination) => _running.Add((pid, destination));

        /// <summary>Waits for every tar; fails if one did.</summary>
        public void Wait()
        {
            while (_running.Count > 0)
            {
                var (pid, dest) = _running[0];
                _running.RemoveAt(0);
                TmpfsArchives.Wait(pid, $"archive the tmpfs at {dest}");
            }
        }

        public void Dispose()
        {
            foreach (var (pid, _) in _running)
            {
                Sys.KillAndReap(pid);
            }
            _running.Clear();
        }
    }
}
