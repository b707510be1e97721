using Ocirun.Runtime.Criu;

namespace Ocirun.UnitTests.Criu;

public sealed class ImageSealTests : IDisposable
{
    // A tmpfs: seals are only made on local filesystems, which /tmp need not be.
    private readonly string _dir = Directory.CreateDirectory("/dev/shm/ocirun-seal-" + Guid.NewGuid().ToString("n")[..12]).FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly ImageFileKey Pages = new(2049, 77, 1 << 20, 1_700_000_000, 5, 1_700_000_001, 6);
    private static readonly ImageFileKey Core = new(2049, 78, 1871, 1_700_000_000, 7, 1_700_000_000, 999_999_999);

    [Fact]
    public void ASealReadsBackInTheBootItWasMadeIn()
    {
        var text = ImageSeal.Format("b00t", [new("pages-1.img", Pages), new("core-1.img", Core)]);
        Assert.Equal("boot b00t\n2049 77 1048576 1700000000 5 1700000001 6 pages-1.img\n2049 78 1871 1700000000 7 1700000000 999999999 core-1.img\n", text);
        Assert.Equal(new Dictionary<string, ImageFileKey> { ["pages-1.img"] = Pages, ["core-1.img"] = Core }, ImageSeal.Parse(text, "b00t"));
    }

    [Theory]
    [InlineData("boot other\n2049 77 1048576 1700000000 5 1700000001 6 pages-1.img\n")]
    [InlineData("boot b00t\n2049 77 1048576 1700000000 5 pages-1.img\n")]
    [InlineData("boot b00t\n2049 x 1048576 1700000000 5 1700000001 6 pages-1.img\n")]
    [InlineData("")]
    public void AnotherBootsOrADamagedSealIsNone(string text) => Assert.Null(ImageSeal.Parse(text, "b00t"));

    [Fact]
    public void OnlyKeysChangedBeforeTheirReadingBeganAreSealed()
    {
        // A write in the clock tick of the file's last change, after its reading began, could
        // leave the ctime as it was: such a key is no proof of the content.
        var keys = new Dictionary<string, HashedKey>
        {
            ["pages-1.img"] = new(Pages, 1_700_000_001_000_000_006),
            ["core-1.img"] = new(Core, 1_700_000_001_000_000_000),
        };
        Assert.Equal(["core-1.img"], ImageSeal.Settled(keys).Select(k => k.Key));
        keys["pages-1.img"] = new(Pages, 1_700_000_001_000_000_007);
        Assert.Equal(["core-1.img", "pages-1.img"], ImageSeal.Settled(keys).Select(k => k.Key));
    }

    [Theory]
    [InlineData(0xEF53, true)] // ext4
    [InlineData(0x58465342, true)] // xfs
    [InlineData(0x01021994, true)] // tmpfs
    [InlineData(0x6969, false)] // nfs
    [InlineData(0x65735546, false)] // fuse
    public void OnlyLocalFilesystemsAreTrusted(long type, bool local) => Assert.Equal(local, ImageSeal.IsLocal(type));

    [Fact]
    public void AFileWrittenToSinceItsSealIsNotTrusted()
    {
        var images = Directory.CreateDirectory(Path.Combine(_dir, "images")).FullName;
        var seals = Path.Combine(_dir, "seals");
        foreach (var name in new[] { "a.img", "b.img" })
        {
            File.WriteAllText(Path.Combine(images, name), name);
        }
        Thread.Sleep(50); // past the clock tick of the writes (the seal leaves out what is not)
        var keys = new[] { "a.img", "b.img" }.ToDictionary(n => n, n => new HashedKey(ImageFileKey.Of(Path.Combine(images, n)), ImageSeal.CoarseNowNs()));
        ImageSeal.Write(seals, "f00d", images, keys);
        var files = new[] { new ImageFile("a.img", 5, "x"), new ImageFile("b.img", 5, "y") };
        Assert.Equal(["a.img", "b.img"], ImageSeal.Unchanged(seals, "f00d", images, files).Order());

        File.WriteAllText(Path.Combine(images, "b.img"), "b.img"); // the same content, written again
        Assert.Equal(["a.img"], ImageSeal.Unchanged(seals, "f00d", images, files));
        Assert.Empty(ImageSeal.Unchanged(seals, "another manifest", images, files));
        Assert.Empty(ImageSeal.Unchanged(seals, "f00d", images, [new ImageFile("a.img", 6, "x")]));
    }
}
