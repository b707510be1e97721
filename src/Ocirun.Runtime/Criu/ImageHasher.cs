using System.Runtime.InteropServices;
using System.Text;
using Ocirun.Runtime.Interop;
using static Ocirun.Runtime.Interop.Consts;

namespace Ocirun.Runtime.Criu;

/// <summary>
/// Hashes a checkpoint's images while CRIU is still dumping: each file as soon as CRIU closes
/// it (inotify IN_CLOSE_WRITE, or IN_MOVED_TO for a file renamed in), on a thread of its own.
/// CRIU writes the pages early and spends the rest of a dump on mounts and namespaces, so the
/// manifest written afterwards finds the large files already hashed instead of adding their
/// hashing to the checkpoint's time.
/// A hash is used only if the file is still what was hashed (same inode, size, mtime and
/// ctime); any later close hashes it again, and whatever was missed is hashed at the end.
/// </summary>
internal sealed unsafe class ImageHasher : IDisposable
{
    private const uint InCloseWrite = 0x8, InMovedTo = 0x80, InQueueOverflow = 0x4000;
    private const int InotifyFlags = O_CLOEXEC | O_NONBLOCK;

    private readonly string _dir;
    private readonly int _inotify;
    private readonly int _stopRead, _stopWrite;
    private readonly Thread _thread;
    private readonly Dictionary<string, (FileKey Key, ImageFile File)> _hashed = new(StringComparer.Ordinal);
    private bool _finished;

    private ImageHasher(string dir, int inotify, int stopRead, int stopWrite)
    {
        (_dir, _inotify, _stopRead, _stopWrite) = (dir, inotify, stopRead, stopWrite);
        _thread = new Thread(Watch) { IsBackground = true, Name = "image-hasher" };
        _thread.Start();
    }

    /// <summary>Starts watching dir; null when inotify is unavailable (the manifest then hashes everything at the end).</summary>
    public static ImageHasher? Start(string dir)
    {
        int fd = Libc.inotify_init1(InotifyFlags);
        if (fd < 0)
        {
            return null;
        }
        var fds = stackalloc int[2];
        if (Libc.inotify_add_watch(fd, dir, InCloseWrite | InMovedTo) < 0 || Libc.pipe2(fds, O_CLOEXEC) != 0)
        {
            Libc.close(fd);
            return null;
        }
        return new ImageHasher(dir, fd, fds[0], fds[1]);
    }

    /// <summary>
    /// Stops watching once every event already queued is handled (CRIU has closed everything by
    /// then), and returns the file's description if what was hashed is still what is there.
    /// </summary>
    public ImageFile? Known(string path)
    {
        Finish();
        lock (_hashed)
        {
            return _hashed.TryGetValue(Path.GetFileName(path), out var h) && FileKey.Of(path) == h.Key ? h.File : null;
        }
    }

    private void Finish()
    {
        if (_finished)
        {
            return;
        }
        _finished = true;
        byte one = 1;
        Libc.write(_stopWrite, &one, 1);
        _thread.Join();
    }

    public void Dispose()
    {
        Finish();
        Libc.close(_inotify);
        Libc.close(_stopRead);
        Libc.close(_stopWrite);
    }

    private void Watch()
    {
        var buffer = new byte[16 << 10];
        var fds = stackalloc PollFd[2];
        while (true)
        {
            fds[0] = new PollFd { Fd = _inotify, Events = POLLIN };
            fds[1] = new PollFd { Fd = _stopRead, Events = POLLIN };
            if (Libc.poll(fds, 2, -1) < 0 && Marshal.GetLastPInvokeError() != EINTR)
            {
                return;
            }
            // On stop, the events still queued are drained first: the last close must be seen.
            bool stop = (fds[1].Revents & POLLIN) != 0;
            foreach (var name in ReadEvents(buffer))
            {
                Hash(name);
            }
            if (stop)
            {
                return;
            }
        }
    }

    /// <summary>The names of the files closed since the last read; an overflow forgets every hash.</summary>
    private HashSet<string> ReadEvents(byte[] buffer)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        while (true)
        {
            nint n;
            fixed (byte* p = buffer)
            {
                n = Libc.read(_inotify, p, buffer.Length);
            }
            if (n <= 0)
            {
                return names;
            }
            for (int off = 0; off + 16 <= n;)
            {
                uint mask = BitConverter.ToUInt32(buffer, off + 4);
                int len = (int)BitConverter.ToUInt32(buffer, off + 12);
                if ((mask & InQueueOverflow) != 0)
                {
                    lock (_hashed)
                    {
                        _hashed.Clear();
                    }
                }
                else if (len > 0)
                {
                    var name = Encoding.UTF8.GetString(buffer, off + 16, len).TrimEnd('\0');
                    if (ImageManifest.Describes(name))
                    {
                        names.Add(name);
                    }
                }
                off += 16 + len;
            }
        }
    }

    private void Hash(string name)
    {
        var path = Path.Combine(_dir, name);
        try
        {
            var before = FileKey.Of(path);
            var file = ImageManifest.DescribeFile(path, before.Size);
            // Written to while it was read: the next close (or the end) hashes it again.
            if (before != FileKey.Of(path))
            {
                return;
            }
            lock (_hashed)
            {
                _hashed[name] = (before, file);
            }
        }
        catch (IOException)
        {
            // Gone or unreadable now; the manifest's own pass reports it if it matters.
        }
    }

    /// <summary>What identifies a file's content without reading it.</summary>
    private readonly record struct FileKey(ulong Dev, ulong Ino, long Size, long Mtime, long MtimeNs, long Ctime, long CtimeNs)
    {
        public static FileKey Of(string path)
        {
            StatBuf st;
            if (Libc.stat(path, &st) != 0)
            {
                throw new IOException($"stat {path}: errno {Marshal.GetLastPInvokeError()}");
            }
            return new(st.Dev, st.Ino, st.Size, st.MtimeSec, st.MtimeNsec, st.CtimeSec, st.CtimeNsec);
        }
    }
}
