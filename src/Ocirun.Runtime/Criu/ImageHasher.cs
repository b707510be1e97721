using System.Runtime.InteropServices;
using Ocirun.Runtime.Interop;
using static Ocirun.Runtime.Interop.Consts;

namespace Ocirun.Runtime.Criu;

/// <summary>
/// Hashes a checkpoint's images while CRIU is still dumping, on a thread of its own (one core
/// stays CRIU's). The thread looks at the image directory every <see cref="LookMs"/> ms: a
/// large file (the pages) is followed as CRIU writes it, each chunk of
/// <see cref="ImageManifest.Chunk"/> bytes hashed once the file has grown past it, so that
/// when CRIU is done only its last chunk is left; a small file is hashed once it looked the
/// same twice. The manifest written afterwards then finds the images hashed instead of adding
/// their hashing to the checkpoint's time.
/// A description is used only if the file is still what it was when hashed (same inode, size,
/// mtime and ctime); whatever changed since, or was never hashed, is hashed when the hasher
/// stops (CRIU has answered then). CRIU writes its images front to back and never goes back
/// into them.
/// The looks are timed, not inotify's: closing an inotify descriptor with a watch waits for
/// an SRCU grace period, about 12 ms of every checkpoint here.
/// </summary>
internal sealed unsafe class ImageHasher : IDisposable
{
    private const int LookMs = 10;

    private readonly string _dir;
    private readonly int _stopRead, _stopWrite;
    private readonly Thread _thread;
    private readonly Dictionary<string, (HashedKey Key, ImageFile File)> _hashed = new(StringComparer.Ordinal);
    /// <summary>Large files CRIU is writing: the digests of their chunks so far (the watcher thread's alone).</summary>
    private readonly Dictionary<string, Growing> _growing = new(StringComparer.Ordinal);
    /// <summary>What each small file looked like at the last look (the watcher thread's alone).</summary>
    private readonly Dictionary<string, ImageFileKey> _lastLook = new(StringComparer.Ordinal);
    private static readonly int Threads = Math.Max(1, Environment.ProcessorCount - 1);
    private bool _finished;
    /// <summary>Set once CRIU has answered: every core is the hasher's from then on.</summary>
    private volatile bool _criuDone;

    private ImageHasher(string dir, int stopRead, int stopWrite)
    {
        (_dir, _stopRead, _stopWrite) = (dir, stopRead, stopWrite);
        _thread = new Thread(WatchOrGiveUp) { IsBackground = true, Name = "image-hasher" };
        _thread.Start();
    }

    /// <summary>Starts watching dir; null without a pipe to stop it by (the manifest then hashes everything at the end).</summary>
    public static ImageHasher? Start(string dir)
    {
        var fds = stackalloc int[2];
        return Libc.pipe2(fds, O_CLOEXEC) != 0 ? null : new ImageHasher(dir, fds[0], fds[1]);
    }

    /// <summary>
    /// Stops watching after a last look (CRIU has closed everything by then), and returns the
    /// file's description if what was hashed is still what is there, with the time its last
    /// reading began (<see cref="HashedKey"/>).
    /// </summary>
    public (ImageFile File, long ReadFromNs)? Known(string path)
    {
        Finish();
        lock (_hashed)
        {
            return _hashed.TryGetValue(Path.GetFileName(path), out var h) && ImageFileKey.Of(path) == h.Key.Key ? (h.File, h.Key.ReadFromNs) : null;
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
        var fds = stackalloc PollFd[1];
        while (true)
        {
            fds[0] = new PollFd { Fd = _stopRead, Events = POLLIN };
            if (Libc.poll(fds, 1, LookMs) < 0 && Marshal.GetLastPInvokeError() != EINTR)
            {
                return;
            }
            bool stop = (fds[0].Revents & POLLIN) != 0;
            Look(final: stop);
            if (stop)
            {
                return;
            }
        }
    }

    /// <summary>
    /// One look at every image: large files followed, small ones hashed once they look the same
    /// as at the last look; at the end, everything not hashed as it is now.
    /// </summary>
    private void Look(bool final)
    {
        foreach (var path in Directory.EnumerateFiles(_dir))
        {
            var name = Path.GetFileName(path);
            if (!ImageManifest.Describes(name))
            {
                continue;
            }
            ImageFileKey key;
            try
            {
                key = ImageFileKey.Of(path);
            }
            catch (IOException)
            {
                continue; // gone since listed
            }
            lock (_hashed)
            {
                if (_hashed.TryGetValue(name, out var h) && h.Key.Key == key)
                {
                    continue;
                }
            }
            if (final)
            {
                Hash(name);
            }
            else if (key.Size > ImageManifest.Chunk)
            {
                Follow(name, _growing.TryGetValue(name, out var g) ? g : _growing[name] = new Growing());
            }
            else if (_lastLook.TryGetValue(name, out var last) && last == key)
            {
                Hash(name);
            }
            _lastLook[name] = key;
        }
    }

    /// <summary>Hashes every whole chunk the file has grown past since the last look.</summary>
    private void Follow(string name, Growing growing)
    {
        var path = Path.Combine(_dir, name);
        try
        {
            using var handle = File.OpenHandle(path);
            var key = ImageFileKey.Of(path);
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
            _growing.Remove(name); // gone; the last look describes it from scratch
        }
    }

    /// <summary>Describes a file as it is now: its chunks followed so far, the rest, the digest.</summary>
    private void Hash(string name)
    {
        var path = Path.Combine(_dir, name);
        try
        {
            long readFrom = ImageSeal.CoarseNowNs();
            var before = ImageFileKey.Of(path);
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
            DebugLog.Write($"checkpoint: hashed {name} ({before.Size} bytes) in {Environment.TickCount64 - started} ms");
            // Written to while it was read: a later look describes it again.
            if (before != ImageFileKey.Of(path))
            {
                return;
            }
            lock (_hashed)
            {
                _hashed[name] = (new HashedKey(before, readFrom), file);
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
}
