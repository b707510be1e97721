using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ocirun.Runtime.Criu;

/// <summary>
/// What a checkpoint wrote, written last into its image directory: every file with its size
/// and SHA-256, and what made it (ocirun, CRIU, kernel, the container's config). A restore
/// checks it before CRIU reads anything, so a truncated, partial or changed image set is
/// refused with the name of the file; a set without a manifest (runc's) restores as before.
/// </summary>
public sealed class ImageManifest
{
    public const string FileName = "ocirun-manifest.json";

    public int Version { get; set; } = 1;
    public string Ocirun { get; set; } = "";
    public string? Criu { get; set; }
    public string Kernel { get; set; } = "";
    /// <summary>SHA-256 of the bundle's config.json the container ran with.</summary>
    public string ConfigSha256 { get; set; } = "";
    public List<ImageFile> Files { get; set; } = [];

    /// <summary>
    /// Describes every regular file directly in dir (CRIU's image sets are flat): not logs,
    /// which CRIU appends to on restore, nor the "parent" link to a pre-dump. known may supply
    /// a file's description already made (see <see cref="ImageHasher"/>). keys, if given,
    /// gets the key of each file that kept it while described (see <see cref="ImageSeal"/>).
    /// </summary>
    internal static ImageManifest Describe(string dir, string? criuVersion, string configPath, Func<string, (ImageFile File, long ReadFromNs)?>? known = null,
        Dictionary<string, HashedKey>? keys = null) => new()
    {
        Ocirun = BuildInfo.Version,
        Criu = criuVersion,
        Kernel = File.ReadAllText("/proc/sys/kernel/osrelease").Trim(),
        ConfigSha256 = Sha256(configPath),
        Files = Directory.GetFiles(dir)
            .Where(f => Describes(Path.GetFileName(f)) && !File.GetAttributes(f).HasFlag(FileAttributes.ReparsePoint))
            .Order(StringComparer.Ordinal)
            .Select(f =>
            {
                long readFrom = ImageSeal.CoarseNowNs();
                var before = ImageFileKey.Of(f);
                var (file, hashedFrom) = known?.Invoke(f) is { } k ? (k.File, k.ReadFromNs) : (DescribeFile(f, before.Size), readFrom);
                if (keys != null && file.Size == before.Size && ImageFileKey.Of(f) == before)
                {
                    keys[file.Name] = new HashedKey(before, hashedFrom);
                }
                return file;
            }).ToList(),
    };

    /// <summary>Whether a file of that name in an image directory belongs in the manifest.</summary>
    internal static bool Describes(string name) => name != FileName && !name.EndsWith(".log", StringComparison.Ordinal);

    /// <summary>
    /// Files up to <see cref="Chunk"/> get their plain SHA-256 (what sha256sum prints). Larger
    /// ones (the pages) are hashed in chunks on every core, and their digest is the SHA-256 of
    /// the chunks' digests: on this 2-core VM that halves the time added to a checkpoint and
    /// to a restore, which otherwise grows with the container's memory.
    /// </summary>
    /// <param name="threads">How many cores to hash on (all of them by default).</param>
    internal static ImageFile DescribeFile(string path, long size, int? threads = null) =>
        size <= Chunk ? new ImageFile(Path.GetFileName(path), size, Sha256(path))
            : new ImageFile(Path.GetFileName(path), size, ChunkedSha256(path, size, Chunk, threads), Chunk);

    /// <summary>
    /// Small enough that the chunk being hashed when CRIU answers (the checkpoint waits for it
    /// before the rest is hashed on every core) costs a few ms; a manifest records the size it
    /// used, so images described with another (16 MiB before) verify as they were written.
    /// </summary>
    public const int Chunk = 4 << 20;

    /// <summary>Writes the manifest into dir; returns the SHA-256 of what it wrote.</summary>
    public string WriteTo(string dir)
    {
        var path = Path.Combine(dir, FileName);
        var bytes = JsonSerializer.SerializeToUtf8Bytes(this, ImageManifestJsonContext.Default.ImageManifest);
        using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
        stream.Write(bytes);
        stream.Flush(flushToDisk: true);
        return Convert.ToHexStringLower(SHA256.HashData(bytes));
    }

    /// <summary>
    /// Throws naming the first file that is missing, of another size or content, or an image
    /// (*.img) the manifest does not list. Logs CRIU writes there later are not images.
    /// With deferPages, the pages files' contents (raw memory CRIU copies into the restored
    /// process without interpreting a byte of it) are compared on another thread while CRIU
    /// restores: the returned check must pass before the restored process may run. Every file
    /// CRIU parses, and every size, is checked before this returns. With sealDir (where seals
    /// are kept), a file still as this host's checkpoint sealed it is not hashed again (<see cref="ImageSeal"/>).
    /// </summary>
    public static DeferredImageCheck? Verify(string dir, bool deferPages = false, string? sealDir = null)
    {
        var path = Path.Combine(dir, FileName);
        if (!File.Exists(path))
        {
            return null;
        }
        ImageManifest manifest;
        var bytes = File.ReadAllBytes(path);
        try
        {
            manifest = JsonSerializer.Deserialize(bytes, ImageManifestJsonContext.Default.ImageManifest)
                ?? throw new JsonException("empty");
        }
        catch (JsonException e)
        {
            throw new ContainerException($"checkpoint manifest {path} is unreadable: {e.Message}");
        }
        var unchanged = sealDir == null ? []
            : ImageSeal.Unchanged(sealDir, Convert.ToHexStringLower(SHA256.HashData(bytes)), dir, manifest.Files);
        if (sealDir != null)
        {
            DebugLog.Write($"restore: {unchanged.Count} of {manifest.Files.Count} images as this host's checkpoint sealed them; hashed again: "
                + $"[{string.Join(' ', manifest.Files.Select(f => f.Name).Where(n => !unchanged.Contains(n)))}]");
        }
        var deferred = new List<(string File, ImageFile Listed)>();
        foreach (var f in manifest.Files)
        {
            var file = Path.Combine(dir, f.Name);
            if (Path.GetFileName(f.Name) != f.Name)
            {
                throw new ContainerException($"checkpoint manifest {path} names a file outside the image directory: {f.Name}");
            }
            if (!File.Exists(file))
            {
                throw new ContainerException($"checkpoint image {file} is missing (the manifest lists it)");
            }
            var size = new FileInfo(file).Length;
            if (size != f.Size)
            {
                throw new ContainerException($"checkpoint image {file} has {size} bytes, the manifest says {f.Size}: truncated or changed");
            }
            if (unchanged.Contains(f.Name))
            {
                continue;
            }
            if (deferPages && IsPages(f.Name))
            {
                deferred.Add((file, f));
            }
            else
            {
                CheckContent(file, f);
            }
        }
        var listed = manifest.Files.Select(f => f.Name).ToHashSet();
        if (Directory.GetFiles(dir, "*.img").Select(Path.GetFileName).FirstOrDefault(n => !listed.Contains(n!)) is { } extra)
        {
            throw new ContainerException($"checkpoint image {Path.Combine(dir, extra)} is not in the manifest: added since the checkpoint");
        }
        return deferred.Count == 0 ? null : new DeferredImageCheck(deferred);
    }

    /// <summary>
    /// Loads and starts OpenSSL (what .NET's SHA-256 is on Linux) on a pool thread: about 10 ms
    /// of a process's first hash, done while the command reads its bundle and starts CRIU.
    /// </summary>
    public static void WarmUpHashing() => Task.Run(() => SHA256.HashData(ReadOnlySpan<byte>.Empty));

    /// <summary>CRIU's raw page data (pages-N.img), as opposed to the pagemap and every other image it parses.</summary>
    private static bool IsPages(string name) => name.StartsWith("pages-", StringComparison.Ordinal) && name.EndsWith(".img", StringComparison.Ordinal);

    private static void CheckContent(string file, ImageFile f)
    {
        if ((f.ChunkSize is { } chunk ? ChunkedSha256(file, f.Size, chunk) : Sha256(file)) != f.Sha256)
        {
            throw Changed(file);
        }
    }

    internal static ContainerException Changed(string file) =>
        new($"checkpoint image {file} does not match its SHA-256 in the manifest: changed since the checkpoint");

    private static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static string ChunkedSha256(string path, long size, int chunk, int? threads = null)
    {
        int count = (int)((size + chunk - 1) / chunk);
        var digests = new byte[count * SHA256.HashSizeInBytes];
        using var handle = File.OpenHandle(path);
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = threads ?? Environment.ProcessorCount },
            i => HashChunkNumber(handle, path, i, chunk, size, digests.AsSpan(i * SHA256.HashSizeInBytes, SHA256.HashSizeInBytes)));
        return CombineChunks(digests);
    }

    /// <summary>The SHA-256 of chunk number index (of chunk bytes) of an open file of size bytes, into digest.</summary>
    internal static void HashChunkNumber(Microsoft.Win32.SafeHandles.SafeFileHandle handle, string path, long index, int chunk, long size, Span<byte> digest)
    {
        long offset = index * chunk;
        HashChunk(handle, path, offset, Math.Min(offset + chunk, size), digest);
    }

    /// <summary>The SHA-256 of bytes [offset, end) of an open file, into digest.</summary>
    internal static void HashChunk(Microsoft.Win32.SafeHandles.SafeFileHandle handle, string path, long offset, long end, Span<byte> digest)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            while (offset < end)
            {
                int n = RandomAccess.Read(handle, buffer.AsSpan(0, (int)Math.Min(buffer.Length, end - offset)), offset);
                hash.AppendData(buffer, 0, n > 0 ? n : throw new IOException($"{path} ended early"));
                offset += n;
            }
            hash.GetHashAndReset(digest);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>A chunked file's digest: the SHA-256 of its chunks' SHA-256s, in order.</summary>
    internal static string CombineChunks(ReadOnlySpan<byte> digests) => Convert.ToHexStringLower(SHA256.HashData(digests));
}

/// <summary>A file of the set; with ChunkSize, Sha256 is the SHA-256 of its chunks' SHA-256s.</summary>
public sealed record ImageFile(string Name, long Size, string Sha256, int? ChunkSize = null);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ImageManifest))]
internal sealed partial class ImageManifestJsonContext : JsonSerializerContext
{
}
