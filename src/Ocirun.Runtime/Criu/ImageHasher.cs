using System.Runtime.InteropServices;
using System.Text;
using Ocirun.Runtime.Interop;
using static Ocirun.Runtime.Interop.Consts;

namespace Ocirun.Runtime.Criu;

/// <summary>
/// Hashes a checkpoint's images while CRIU is still dumping, on a thread of its own (one core
/// stays CRIU's). A large file (the pages) is followed as CRIU writes it: each chunk of
/// <see cref="ImageManifest.Chunk"/> bytes is hashed once the file has grown past it (inotify
/// IN_MODIFY, then a look every 20 ms), so when CRIU closes it (IN_CLOSE_WRITE, or IN_MOVED_TO
/// for a file renamed in) only its last chunk is left. Small files are hashed at their close.
/// The manifest written afterwards then finds the images hashed instead of adding their
/// hashing to the checkpoint's time.
/// A description is used only if the file is still what it was at its close (same inode,
/// size, mtime and ctime); any later close describes it again, and whatever was missed is
/// hashed at the end. CRIU writes its images front to back and never goes back into them.
/// </summary>
internal sealed unsafe class ImageHasher : IDisposable
{
    private const uint InModify = 0x2, InCloseWrite = 0x8, InMovedTo = 0x80, InQueueOverflow = 0x4000;
    private const int FollowMs = 20;
    private const int InotifyFlags = O_CLOEXEC | O_NONBLOCK;

    private readonly string _dir;
    private readonly int _inotify;
    private readonly int _stopRead, _stopWrite;
    private readonly Thread _thread;
    private readonly Dictionary<string, (FileKey Key, ImageFile File)> _hashed = new(StringComparer.Ordinal);
    /// <summary>Files CRIU is writing: the digests of their chunks so far (the watcher thread's alone).</summary>
    private readonly Dictionary<string, Growing> _growing = new(StringComparer.Ordinal);
    private static readonly int Threads = Math.Max(1, Environment.ProcessorCount - 1);
    private bool _finished;
    /// <summary>Set once CRIU has answered: every core is the hasher's from then on.</summary>
    private volatile bool _criuDone;

    private ImageHasher(string dir, int inotify, int stopRead, int stopWrite)
    {
        (_dir, _inotify, _stopRead, _stopWrite) = (dir, inotify, stopRead, stopWrite);
        _thread = new Thread(WatchOrGiveUp) { IsBackground = true, Name = "image-hasher" };
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
        if (Libc.inotify_add_watch(fd, dir, InModify | InCloseWrite | InMovedTo) < 0 || Libc.pipe2(fds, O_CLOEXEC) != 0)
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
        _criuDone = true;
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

    /// <summary>
    /// An exception on this thread would end the process: on anything unexpected the hasher
    /// forgets what it has and stops, and the manifest hashes every file itself.
    /// </summary>
    private void WatchOrGiveUp()
    {
        try
        {
            Watch();
        }
        catch (Exception e)
        {
            lock (_hashed)
            {
                _hashed.Clear();
            }
            DebugLog.Write($"checkpoint: the image hasher stopped ({e.Message}); the manifest hashes the images itself");
        }
    }

    private void Watch()
    {
        var buffer = new byte[16 << 10];
        var fds = stackalloc PollFd[2];
        while (true)
        {
            fds[0] = new PollFd { Fd = _inotify, Events = POLLIN };
            fds[1] = new PollFd { Fd = _stopRead, Events = POLLIN };
            if (Libc.poll(fds, 2, _growing.Count > 0 ? FollowMs : -1) < 0 && Marshal.GetLastPInvokeError() != EINTR)
            {
                return;
            }
            // On stop, the events still queued are drained first: the last close must be seen.
            bool stop = (fds[1].Revents & POLLIN) != 0;
            var (modified, closed) = ReadEvents(buffer);
            foreach (var name in modified)
            {
                _growing.TryAdd(name, new Growing());
            }
            foreach (var (name, growing) in _growing)
            {
                if (!closed.Contains(name))
                {
                    Follow(name, growing);
                }
            }
            foreach (var name in closed)
            {
                Closed(name);
            }
            if (stop)
            {
                return;
            }
        }
    }

    /// <summary>The names written to and closed since the last read; an overflow forgets every hash.</summary>
    private (HashSet<string> Modified, HashSet<string> Closed) ReadEvents(byte[] buffer)
    {
        var modified = new HashSet<string>(StringComparer.Ordinal);
        var closed = new HashSet<string>(StringComparer.Ordinal);
        while (true)
        {
            nint n;
            fixed (byte* p = buffer)
            {
                n = Libc.read(_inotify, p, buffer.Length);
            }
            if (n <= 0)
            {
                return (modified, closed);
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
                    _growing.Clear();
                }
                else if (len > 0 && Encoding.UTF8.GetString(buffer, off + 16, len).TrimEnd('\0') is var name && ImageManifest.Describes(name))
                {
                    (((mask & InModify) != 0) ? modified : closed).Add(name);
                }
                off += 16 + len;
            }
        }
    }

    /// <summary>Hashes every whole chunk the file has grown past since the last look.</summary>
    private void Follow(string name, Growing growing)
    {
        var path = Path.Combine(_dir, name);
        try
        {
            using var handle = File.OpenHandle(path);
            var key = FileKey.Of(path);
            if (growing.Inode != key.Ino)
            {
                (growing.Inode, growing.Chunks) = (key.Ino, []);
            }
            long size = RandomAccess.GetLength(handle);
            while ((growing.Chunks.Count + 1L) * ImageManifest.Chunk <= size)
            {
                long offset = (long)growing.Chunks.Count * ImageManifest.Chunk;
                var digest = new byte[32];
                ImageManifest.HashChunk(handle, path, offset, offset + ImageManifest.Chunk, digest);
                growing.Chunks.Add(digest);
            }
        }
        catch (IOException)
        {
            _growing.Remove(name); // gone; its close (if any) describes it from scratch
        }
    }

    /// <summary>Describes a file CRIU has closed: its chunks so far, the rest, the digest.</summary>
    private void Closed(string name)
    {
        var path = Path.Combine(_dir, name);
        try
        {
            var before = FileKey.Of(path);
            long started = Environment.TickCount64;
            ImageFile file;
            if (before.Size <= ImageManifest.Chunk)
            {
                file = ImageManifest.DescribeFile(path, before.Size, Threads);
            }
            else
            {
                var growing = _growing.GetValueOrDefault(name) ?? new Growing();
                using var handle = File.OpenHandle(path);
                var digests = growing.Inode == before.Ino ? growing.Chunks.SelectMany(d => d).ToList() : [];
                int done = digests.Count / 32;
                digests.AddRange(HashRest(handle, path, done, before.Size));
                file = new ImageFile(name, before.Size, ImageManifest.CombineChunks(digests.ToArray()), ImageManifest.Chunk);
                DebugLog.Write($"checkpoint: {name}: {done} of {(before.Size + ImageManifest.Chunk - 1) / ImageManifest.Chunk} chunks hashed while CRIU wrote it");
            }
            DebugLog.Write($"checkpoint: hashed {name} ({before.Size} bytes) {Environment.TickCount64 - started} ms after CRIU closed it");
            // Written to while it was read: the next close (or the end) describes it again.
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
        finally
        {
            _growing.Remove(name);
        }
    }

    /// <summary>
    /// The digests of the chunks from the first not yet hashed to the end: one at a time on this
    /// thread while CRIU still dumps (CRIU writes pages faster than one core hashes them), and
    /// the rest on every core once CRIU has answered, when the checkpoint waits for nothing else.
    /// </summary>
    private byte[] HashRest(Microsoft.Win32.SafeHandles.SafeFileHandle handle, string path, int first, long size)
    {
        int count = (int)((size + ImageManifest.Chunk - 1) / ImageManifest.Chunk) - first;
        var digests = new byte[Math.Max(0, count) * 32];
        void Hash(int i) => ImageManifest.HashChunkNumber(handle, path, first + i, ImageManifest.Chunk, size, digests.AsSpan(i * 32, 32));
        int next = 0;
        for (; next < count && !_criuDone; next++)
        {
            Hash(next);
        }
        if (next < count)
        {
            Parallel.For(next, count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, Hash);
        }
        return digests;
    }

    private sealed class Growing
    {
        public ulong Inode;
        public List<byte[]> Chunks = [];
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
