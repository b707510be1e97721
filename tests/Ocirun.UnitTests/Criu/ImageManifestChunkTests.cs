using System.Security.Cryptography;
using Ocirun.Runtime;
using Ocirun.Runtime.Criu;

namespace Ocirun.UnitTests.Criu;

/// <summary>A manifest records the chunk size it hashed with: sets described with another verify as written.</summary>
public sealed class ImageManifestChunkTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ocirun-manifest-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void PagesDescribedInSixteenMiBChunksStillVerify(bool deferPages)
    {
        var pages = Path.Combine(_dir, "pages-1.img");
        var bytes = new byte[(20 << 20) + 123];
        Random.Shared.NextBytes(bytes);
        File.WriteAllBytes(pages, bytes);
        const int old = 16 << 20;
        var digest = Convert.ToHexStringLower(SHA256.HashData(bytes.Chunk(old).SelectMany(SHA256.HashData).ToArray()));
        new ImageManifest { Files = [new ImageFile("pages-1.img", bytes.Length, digest, old)] }.WriteTo(_dir);
        ImageManifest.Verify(_dir, deferPages)?.Wait();

        bytes[old + 1] ^= 1;
        File.WriteAllBytes(pages, bytes);
        var e = Assert.Throws<ContainerException>(() => ImageManifest.Verify(_dir, deferPages)?.Wait());
        Assert.Contains("does not match its SHA-256", e.Message);
    }

    [Fact]
    public void DeferredPagesWholeAndChunkedAreComparedOnEveryCore()
    {
        // A small pages file is described whole, a large one in chunks; the deferred check
        // hashes both, and Wait (the restore waiting at post-restore) helps with what is left.
        var small = Path.Combine(_dir, "pages-2.img");
        var large = Path.Combine(_dir, "pages-1.img");
        File.WriteAllBytes(small, Enumerable.Repeat((byte)3, 65536).ToArray());
        var bytes = new byte[3 * ImageManifest.Chunk + 17];
        Random.Shared.NextBytes(bytes);
        File.WriteAllBytes(large, bytes);
        var config = Path.GetTempFileName();
        try
        {
            ImageManifest.Describe(_dir, null, config).WriteTo(_dir);
        }
        finally
        {
            File.Delete(config);
        }
        var check = ImageManifest.Verify(_dir, deferPages: true);
        Assert.NotNull(check);
        check.Wait();

        foreach (var path in new[] { small, large })
        {
            var before = File.ReadAllBytes(path);
            var changed = before.ToArray();
            changed[^1] ^= 1;
            File.WriteAllBytes(path, changed);
            var e = Assert.Throws<ContainerException>(() => ImageManifest.Verify(_dir, deferPages: true)!.Wait());
            Assert.Contains($"checkpoint image {path} does not match", e.Message);
            File.WriteAllBytes(path, before);
        }
    }
}
