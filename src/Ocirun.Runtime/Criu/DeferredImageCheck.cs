using System.Security.Cryptography;

namespace Ocirun.Runtime.Criu;

/// <summary>
/// The pages' comparison with the manifest, running while CRIU restores. The files' chunks are
/// taken one at a time: by a thread of their own from the start (one core stays CRIU's, whose
/// copying of the pages into the restored process is what the restore waits for), and by the
/// thread that waits for the result as soon as it waits (CRIU is done with the memory then, so
/// what is left is hashed on every core).
/// </summary>
public sealed class DeferredImageCheck
{
    private sealed record Item(string File, ImageFile Listed, Microsoft.Win32.SafeHandles.SafeFileHandle Handle, byte[] Digests);

    private readonly List<Item> _items = [];
    private readonly List<(Item Item, int Chunk)> _work = [];
    private readonly Task _background;
    private int _next = -1;

    internal DeferredImageCheck(IEnumerable<(string File, ImageFile Listed)> files)
    {
        foreach (var (file, listed) in files)
        {
            // A file described whole (no chunk size) is one piece of work.
            int count = listed.ChunkSize is { } chunk ? (int)((listed.Size + chunk - 1) / chunk) : 1;
            var item = new Item(file, listed, File.OpenHandle(file), new byte[count * SHA256.HashSizeInBytes]);
            _items.Add(item);
            _work.AddRange(Enumerable.Range(0, count).Select(i => (item, i)));
        }
        _background = Task.Run(HashChunks);
    }

    /// <summary>Hashes chunks until none is left to take.</summary>
    private void HashChunks()
    {
        int i;
        while ((i = Interlocked.Increment(ref _next)) < _work.Count)
        {
            var (item, n) = _work[i];
            var digest = item.Digests.AsSpan(n * SHA256.HashSizeInBytes, SHA256.HashSizeInBytes);
            if (item.Listed.ChunkSize is { } chunk)
            {
                ImageManifest.HashChunkNumber(item.Handle, item.File, n, chunk, item.Listed.Size, digest);
            }
            else
            {
                ImageManifest.HashChunk(item.Handle, item.File, 0, item.Listed.Size, digest);
            }
        }
    }

    /// <summary>Helps hash what is left, waits for the rest; throws the ContainerException naming a changed file.</summary>
    public void Wait()
    {
        try
        {
            HashChunks();
            _background.GetAwaiter().GetResult();
        }
        catch (IOException e)
        {
            throw new ContainerException($"checkpoint images could not be read: {e.Message}");
        }
        finally
        {
            _items.ForEach(i => i.Handle.Dispose());
        }
        foreach (var item in _items)
        {
            var digest = item.Listed.ChunkSize != null ? ImageManifest.CombineChunks(item.Digests) : Convert.ToHexStringLower(item.Digests);
            if (digest != item.Listed.Sha256)
            {
                throw ImageManifest.Changed(item.File);
            }
        }
    }
}
