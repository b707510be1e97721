using Ocirun.Runtime.Criu;

namespace Ocirun.UnitTests.Criu;

/// <summary>The comparison on two small trees in a temporary directory.</summary>
public sealed class TreeComparerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ocirun-ut-tree-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private (string A, string B) TwoTrees()
    {
        var a = Path.Combine(_dir, "a");
        var b = Path.Combine(_dir, "b");
        foreach (var t in new[] { a, b })
        {
            Directory.CreateDirectory(Path.Combine(t, "pts"));
            File.WriteAllText(Path.Combine(t, "console"), "");
            File.CreateSymbolicLink(Path.Combine(t, "fd"), "/proc/self/fd");
        }
        return (a, b);
    }

    [Fact]
    public void TheSameTreesAreTheSame()
    {
        var (a, b) = TwoTrees();
        Assert.True(TreeComparer.Same(a, b));
    }

    [Fact]
    public void AFileWithContentsIsNeverTheSame()
    {
        var (a, b) = TwoTrees();
        File.WriteAllText(Path.Combine(a, "console"), "x");
        File.WriteAllText(Path.Combine(b, "console"), "x");
        Assert.False(TreeComparer.Same(a, b));
    }

    [Fact]
    public void AnExtraNameAModeOrALinkTargetDiffers()
    {
        var (a, b) = TwoTrees();
        Directory.CreateDirectory(Path.Combine(a, "pts", "new"));
        Assert.False(TreeComparer.Same(a, b));
        Directory.Delete(Path.Combine(a, "pts", "new"));
        File.SetUnixFileMode(Path.Combine(a, "pts"), UnixFileMode.UserRead | UnixFileMode.UserExecute);
        Assert.False(TreeComparer.Same(a, b));
        File.SetUnixFileMode(Path.Combine(a, "pts"), File.GetUnixFileMode(Path.Combine(b, "pts")));
        Assert.True(TreeComparer.Same(a, b));
        File.Delete(Path.Combine(a, "fd"));
        File.CreateSymbolicLink(Path.Combine(a, "fd"), "/elsewhere");
        Assert.False(TreeComparer.Same(a, b));
    }
}
