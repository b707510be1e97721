using Ocirun.Runtime.State;

namespace Ocirun.UnitTests;

/// <summary>PidFile.Write: digits only, replaced atomically.</summary>
public sealed class PidFileTests : IDisposable
{
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    [Fact]
    public void WritesDigitsOnly()
    {
        var path = _tmp.Combine("ctr.pid");
        PidFile.Write(path, 123456);
        Assert.Equal("123456"u8.ToArray(), File.ReadAllBytes(path));
    }

    [Fact]
    public void ReplacesAnExistingFileAndLeavesNoTemp()
    {
        var path = _tmp.Write("ctr.pid", "");
        PidFile.Write(path, 7);
        PidFile.Write(path, 42);
        Assert.Equal("42", File.ReadAllText(path));
        Assert.Equal(["ctr.pid"], Directory.GetFiles(_tmp.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void RelativePathWorks()
    {
        var rel = Path.GetRelativePath(Directory.GetCurrentDirectory(), _tmp.Combine("rel.pid"));
        PidFile.Write(rel, 99);
        Assert.Equal("99", File.ReadAllText(_tmp.Combine("rel.pid")));
    }

    [Fact]
    public void MissingDirectoryFails() =>
        Assert.ThrowsAny<Exception>(() => PidFile.Write(_tmp.Combine("no", "such", "dir.pid"), 1));
}
