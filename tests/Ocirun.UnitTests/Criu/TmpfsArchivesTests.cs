using Ocirun.Runtime.Criu;

namespace Ocirun.UnitTests.Criu;

public sealed class TmpfsArchivesTests
{
    [Fact]
    public void EachDestinationHasAnArchiveNameOfItsOwnThatIsOneFileName()
    {
        Assert.Equal("ocirun-tmpfs-%2Fdev%2Fshm.tar", TmpfsArchives.FileName("/dev/shm"));
        string[] destinations = ["/a-b", "/a/b", "/a b", "/a%2Fb", "/"];
        var names = destinations.Select(TmpfsArchives.FileName).ToList();
        Assert.Equal(names.Count, names.Distinct().Count());
        Assert.All(names, n => Assert.DoesNotContain('/', n));
    }
}
