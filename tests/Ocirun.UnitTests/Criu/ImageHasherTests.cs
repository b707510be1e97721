using Ocirun.Runtime.Criu;

namespace Ocirun.UnitTests.Criu;

/// <summary>
/// The checkpoint's background hashing (timed looks at the image directory): a file's hash is
/// offered only if it describes what is there at the end.
/// </summary>
public sealed class ImageHasherTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ocirun-hasher-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void AFileWrittenAgainAfterItsFirstCloseIsKnownByItsLastContent()
    {
        var path = Path.Combine(_dir, "pages-1.img");
        using (var hasher = ImageHasher.Start(_dir)!)
        {
            File.WriteAllBytes(path, new byte[100_000]);
            File.WriteAllBytes(path, Enumerable.Repeat((byte)7, 100_000).ToArray());
            Assert.Equal(ImageManifest.DescribeFile(path, 100_000), hasher.Known(path)?.File);
        }
    }

    [Fact]
    public void AFileChangedAfterTheHasherStoppedIsNotKnown()
    {
        var path = Path.Combine(_dir, "core-1.img");
        using var hasher = ImageHasher.Start(_dir)!;
        File.WriteAllText(path, "first");
        Assert.NotNull(hasher.Known(path)?.File); // stops the hasher once it has seen the close
        File.AppendAllText(path, "more");
        Assert.Null(hasher.Known(path)?.File);
    }

    [Fact]
    public void ALargeFileFollowedWhileItIsWrittenIsDescribedAsAWhole()
    {
        // Past several chunks and not a multiple of one: whole chunks are hashed as the file
        // grows, the rest at its close; the result is what hashing the finished file gives.
        var path = Path.Combine(_dir, "pages-1.img");
        var piece = new byte[1 << 20];
        using var hasher = ImageHasher.Start(_dir)!;
        using (var f = new FileStream(path, FileMode.CreateNew, FileAccess.Write))
        {
            for (int i = 0; i < 3 * ImageManifest.Chunk / piece.Length + 5; i++)
            {
                Random.Shared.NextBytes(piece);
                f.Write(piece);
                f.Flush();
            }
            f.Write(piece.AsSpan(0, 4096));
        }
        var size = new FileInfo(path).Length;
        Assert.Equal(ImageManifest.DescribeFile(path, size), hasher.Known(path)?.File);
    }

    [Fact]
    public void TheHasherHoldsNoInotifyDescriptor()
    {
        // Closing one with a watch waits for an SRCU grace period: some 12 ms of a checkpoint.
        static int Inotify() => Directory.EnumerateFileSystemEntries("/proc/self/fd")
            .Count(fd => new FileInfo(fd).LinkTarget == "anon_inode:inotify");
        int before = Inotify();
        using var hasher = ImageHasher.Start(_dir)!;
        File.WriteAllText(Path.Combine(_dir, "core-1.img"), "core");
        Assert.Equal(before, Inotify());
        Assert.NotNull(hasher.Known(Path.Combine(_dir, "core-1.img")));
    }

    [Fact]
    public void LogsAndTheManifestAreNotHashed()
    {
        using var hasher = ImageHasher.Start(_dir)!;
        File.WriteAllText(Path.Combine(_dir, "dump.log"), "log");
        File.WriteAllText(Path.Combine(_dir, ImageManifest.FileName), "{}");
        Assert.Null(hasher.Known(Path.Combine(_dir, "dump.log")));
        Assert.Null(hasher.Known(Path.Combine(_dir, ImageManifest.FileName)));
    }
}
