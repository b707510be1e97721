using System.Runtime.InteropServices;
using Ocirun.Runtime.Interop;
using Ocirun.Runtime.Linux;
using static Ocirun.Runtime.Interop.Consts;

namespace Ocirun.Runtime.Criu;

/// <summary>
/// What a checkpoint on this host left, so that restoring it here in the same boot does not
/// hash again what the checkpoint has just hashed (at 1 GiB that hashing competes with CRIU's
/// copying of the memory for the second core and the memory bus). A checkpoint seals its
/// manifest: the key (<see cref="ImageFileKey"/>) each image had when its digest was taken,
/// filed under the manifest's SHA-256 in a directory of the host's (<see cref="HostDir"/>; not in
/// a runtime's state root, which engines expect to hold containers only, nor with the images,
/// where whoever could change an image could change its seal). A restore whose manifest has a seal
/// takes an image whose key is still the sealed one as the manifest describes it, and hashes
/// every other. A write to a file, its truncation or another file in its place changes its
/// key, so a truncated, partial or changed set is refused as before; what a seal cannot see
/// is a change that bypasses the filesystem (writes to the block device, a failing disk).
/// Sealed are only files on local filesystems, whose stat is the truth (NFS and FUSE may
/// answer from caches or from elsewhere), with a ctime before the coarse clock's time when the
/// last reading for the digest began (<see cref="HashedKey"/>), and only for this boot. The
/// pages are hashed chunk by chunk while CRIU writes them: that their early chunks are what the
/// file holds at the end rests, as the manifest does, on CRIU writing its images front to back.
/// </summary>
internal static class ImageSeal
{
    /// <summary>Where seals are kept: in /run, so that they go with the boot wherever /run is a tmpfs.</summary>
    public const string HostDir = "/run/ocirun-image-seals";

    /// <summary>Seals kept; older ones go (a checkpoint's seal is worth the most right after it).</summary>
    private const int Kept = 64;

    private const int CLOCK_REALTIME_COARSE = 5;

    private static readonly HashSet<long> LocalFilesystems = [EXT4_SUPER_MAGIC, XFS_SUPER_MAGIC, BTRFS_SUPER_MAGIC, TMPFS_MAGIC];

    /// <summary>"boot BOOT-ID", then a line per file: its key, then its name (pure).</summary>
    public static string Format(string bootId, IEnumerable<KeyValuePair<string, ImageFileKey>> keys) =>
        $"boot {bootId}\n" + string.Concat(keys.Select(k => $"{k.Value} {k.Key}\n"));

    /// <summary>The keys of a seal made in the boot bootId; null for another boot's or a damaged one (pure).</summary>
    public static Dictionary<string, ImageFileKey>? Parse(string text, string bootId)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length == 0 || lines[0] != "boot " + bootId)
        {
            return null;
        }
        var keys = new Dictionary<string, ImageFileKey>(StringComparer.Ordinal);
        foreach (var line in lines.Skip(1))
        {
            var f = line.Split(' ', 8);
            if (f.Length != 8 || ImageFileKey.Parse(f.AsSpan(0, 7)) is not { } key)
            {
                return null;
            }
            keys[f[7]] = key;
        }
        return keys;
    }

    /// <summary>The keys no write since they were taken can have left as they are (<see cref="HashedKey.Settled"/>), by name (pure).</summary>
    public static IEnumerable<KeyValuePair<string, ImageFileKey>> Settled(IReadOnlyDictionary<string, HashedKey> keys) =>
        keys.Where(k => k.Value.Settled).Select(k => KeyValuePair.Create(k.Key, k.Value.Key)).OrderBy(k => k.Key, StringComparer.Ordinal);

    public static bool IsLocal(long fsType) => LocalFilesystems.Contains(fsType);

    /// <summary>Seals, in dir, the images of imageDir described by the manifest of that SHA-256, with the keys they had when hashed.</summary>
    public static void Write(string dir, string manifestSha256, string imageDir, IReadOnlyDictionary<string, HashedKey> keys)
    {
        if (!IsLocal(Sys.FsType(imageDir) ?? 0))
        {
            return;
        }
        var settled = Settled(keys).ToList();
        if (settled.Count == 0)
        {
            return;
        }
        Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var path = Path.Combine(dir, manifestSha256);
        var tmp = $"{path}.{Environment.ProcessId}.tmp";
        try
        {
            File.WriteAllText(tmp, Format(Sys.BootId(), settled));
            File.Move(tmp, path, overwrite: true);
        }
        catch
        {
            File.Delete(tmp);
            throw;
        }
        foreach (var old in new DirectoryInfo(dir).GetFiles().OrderByDescending(f => f.LastWriteTimeUtc).Skip(Kept))
        {
            old.Delete();
        }
    }

    /// <summary>The files (of the manifest of that SHA-256) still as its seal in dir recorded them; none without a seal.</summary>
    public static HashSet<string> Unchanged(string dir, string manifestSha256, string imageDir, IEnumerable<ImageFile> files)
    {
        var path = Path.Combine(dir, manifestSha256);
        if (!File.Exists(path) || !IsLocal(Sys.FsType(imageDir) ?? 0) || Read(path) is not { } text || Parse(text, Sys.BootId()) is not { } keys)
        {
            return [];
        }
        return files.Where(f => keys.TryGetValue(f.Name, out var k) && k.Size == f.Size && KeyOf(Path.Combine(imageDir, f.Name)) == k)
            .Select(f => f.Name).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>A seal's text; null if it went meanwhile (another checkpoint's pruning) or cannot be read: then every image is hashed.</summary>
    private static string? Read(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static ImageFileKey? KeyOf(string path)
    {
        try
        {
            return ImageFileKey.Of(path);
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>CLOCK_REALTIME_COARSE in ns since the epoch, the clock file times are taken from; 0 if unreadable (then nothing is settled).</summary>
    public static unsafe long CoarseNowNs()
    {
        var ts = stackalloc long[2];
        return Libc.clock_gettime(CLOCK_REALTIME_COARSE, ts) == 0 ? ts[0] * 1_000_000_000 + ts[1] : 0;
    }
}
