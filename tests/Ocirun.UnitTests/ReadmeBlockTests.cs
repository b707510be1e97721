namespace Ocirun.UnitTests;

/// <summary>The README's Podman block is the drop-in `make install` puts in place.</summary>
public class ReadmeBlockTests
{
    [Fact]
    public void ThePodmanBlockIsThePackagedDropIn()
    {
        var dropIn = File.ReadAllLines(Path.Combine(Ocirun.Tests.Shared.RepoPaths.Root, "packaging", "containers-ocirun.conf"))
            .SkipWhile(l => l.StartsWith('#') || l.Length == 0);
        Assert.Equal(string.Join('\n', dropIn) + "\n", Ocirun.Tests.Shared.ReadmeBlock.Get("podman", "/usr/local/bin/ocirun"));
    }
}
