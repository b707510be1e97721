using Ocirun.Runtime.Criu;
using static Ocirun.Runtime.Criu.CriuKdatCache;

namespace Ocirun.UnitTests.Criu;

public sealed class CriuKdatCacheTests
{
    private const long Tmpfs = 0x01021994, Ext4 = 0xEF53;

    [Fact]
    public void OnlyRootOnAHostWhoseRunIsNoTmpfsKeepsACache()
    {
        Assert.Equal(Use.MakeLink, Decide(root: true, Ext4, linkMissing: true, linkTarget: null));
        Assert.Equal(Use.None, Decide(root: false, Ext4, linkMissing: true, linkTarget: null));
        Assert.Equal(Use.None, Decide(root: true, Tmpfs, linkMissing: true, linkTarget: null));
        Assert.Equal(Use.None, Decide(root: true, runFsType: null, linkMissing: true, linkTarget: null));
    }

    [Fact]
    public void OnlyItsOwnSymlinkIsUsedAndNothingElseAtThePathIsTouched()
    {
        Assert.Equal(Use.Link, Decide(root: true, Ext4, linkMissing: false, linkTarget: LinkTarget));
        // A regular file (CRIU's own cache, or anybody's) and another symlink stay as they are.
        Assert.Equal(Use.None, Decide(root: true, Ext4, linkMissing: false, linkTarget: null));
        Assert.Equal(Use.None, Decide(root: true, Ext4, linkMissing: false, linkTarget: "/somewhere/else"));
    }

    [Fact]
    public void TheCacheIsNamedByBootAndByCriu()
    {
        var a = FileName("d639af91-dcce-4ee8-814e-fdbd0eed1fd7\n", "/opt/ocirun/criu/criu");
        Assert.StartsWith("d639af91-dcce-4ee8-814e-fdbd0eed1fd7-", a);
        Assert.Equal(a, FileName("d639af91-dcce-4ee8-814e-fdbd0eed1fd7", "/opt/ocirun/criu/criu"));
        Assert.NotEqual(a, FileName("d639af91-dcce-4ee8-814e-fdbd0eed1fd7", "/usr/sbin/criu"));
        Assert.NotEqual(a, FileName("00000000-dcce-4ee8-814e-fdbd0eed1fd7", "/opt/ocirun/criu/criu"));
        Assert.Matches("^[0-9a-f-]+$", a);
    }

    [Fact]
    public void TheCacheTakesAnFdNoOtherCriuFdCanHave()
    {
        Assert.Equal(LinkTarget, $"/proc/self/fd/{FdInCriu}");
        Assert.Throws<ArgumentException>(() => CriuSwrk.Start("/bin/false", [(0, FdInCriu)]));
    }
}
