using System.Runtime.InteropServices;
using Ocirun.Runtime.Interop;

namespace Ocirun.Runtime.Criu;

/// <summary>
/// What identifies an image file's content without reading it: the same inode of the same
/// size, with the same mtime and ctime. Every write, truncation or replacement changes one of
/// them; ctime cannot be set back short of setting the system clock.
/// </summary>
internal readonly record struct ImageFileKey(ulong Dev, ulong Ino, long Size, long Mtime, long MtimeNs, long Ctime, long CtimeNs)
{
    public static unsafe ImageFileKey Of(string path)
    {
        StatBuf st;
        if (Libc.stat(path, &st) != 0)
        {
            throw new IOException($"stat {path}: errno {Marshal.GetLastPInvokeError()}");
        }
        return new(st.Dev, st.Ino, st.Size, st.MtimeSec, st.MtimeNsec, st.CtimeSec, st.CtimeNsec);
    }

    /// <summary>The ctime in nanoseconds since the epoch.</summary>
    public long CtimeTotalNs => Ctime * 1_000_000_000 + CtimeNs;

    /// <summary>Space-separated, as a seal records it (<see cref="ImageSeal"/>).</summary>
    public override string ToString() => $"{Dev} {Ino} {Size} {Mtime} {MtimeNs} {Ctime} {CtimeNs}";

    public static ImageFileKey? Parse(ReadOnlySpan<string> f) =>
        f.Length == 7 && ulong.TryParse(f[0], out var dev) && ulong.TryParse(f[1], out var ino) && long.TryParse(f[2], out var size)
            && long.TryParse(f[3], out var m) && long.TryParse(f[4], out var mn) && long.TryParse(f[5], out var c) && long.TryParse(f[6], out var cn)
            ? new ImageFileKey(dev, ino, size, m, mn, c, cn) : null;
}

/// <summary>
/// A file's key when its digest was taken, and the coarse clock (ns since the epoch) read just
/// before that key was: with a ctime before that time, any write since the key was taken has
/// changed it (a write in the tick of the file's last change could leave the ctime as it was).
/// </summary>
internal readonly record struct HashedKey(ImageFileKey Key, long ReadFromNs)
{
    public bool Settled => Key.CtimeTotalNs < ReadFromNs;
}
