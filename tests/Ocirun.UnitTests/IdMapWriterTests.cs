namespace Ocirun.UnitTests;

/// <summary>When the id maps need shadow's setuid tools, and what they are given.</summary>
public class IdMapWriterTests
{
    private static Ocirun.Spec.Model.IdMapping M(uint inside, uint outside, uint size) =>
        new() { ContainerId = inside, HostId = outside, Size = size };

    [Fact]
    public void OnlyTheCallersOwnGidAlonePassesWithoutTheTool()
    {
        Assert.False(Ocirun.Runtime.Security.IdMapWriter.NeedsMappingTool([M(0, 1000, 1)], 1000));
        Assert.True(Ocirun.Runtime.Security.IdMapWriter.NeedsMappingTool([M(0, 1001, 1)], 1000));
        Assert.True(Ocirun.Runtime.Security.IdMapWriter.NeedsMappingTool([M(0, 1000, 2)], 1000));
        Assert.True(Ocirun.Runtime.Security.IdMapWriter.NeedsMappingTool([M(0, 1000, 1), M(1, 100000, 65536)], 1000));
    }

    [Fact]
    public void TheToolGetsThePidThenEveryTriple() =>
        Assert.Equal(["/usr/bin/newuidmap", "42", "0", "1000", "1", "1", "100000", "65536"],
            Ocirun.Runtime.Security.IdMapWriter.ToolArgs("/usr/bin/newuidmap", 42, [M(0, 1000, 1), M(1, 100000, 65536)]));
}
