using Ocirun.Runtime.Rootfs;

namespace Ocirun.UnitTests;

/// <summary>runc's words for a failed spec mount: flags by name, the spec's destination.</summary>
public class MountWordsTests
{
    [Theory]
    [InlineData(0x1000UL, "MS_BIND")]
    [InlineData(0x5000UL, "MS_BIND|MS_REC")]
    [InlineData(0x6UL, "MS_NOSUID|MS_NODEV")]
    [InlineData(0x10000UL, "MS_POSIXACL")]
    [InlineData(0x400000UL | 0x1UL, "MS_RDONLY|0x400000")] // 1 << 22 (MS_KERNMOUNT) has no name
    public void FlagsByName(ulong flags, string words) => Assert.Equal(words, MountWords.Flags(flags));

    [Fact]
    public void ACallNamesSourceDestinationFdFlagsAndData() =>
        Assert.Equal("mount src=tmpfs, dst=/x, dstFd=/proc/self/fd/8, flags=MS_NOSUID, data=size=abc: invalid argument",
            MountWords.Call("mount", "tmpfs", -1, "/x", "/proc/self/fd/8", 2, "size=abc", "invalid argument"));

    [Fact]
    public void NoSourceNoFlagsNoDataAreLeftOut() =>
        Assert.Equal("mount dst=/x, dstFd=/proc/self/fd/8: no such device", MountWords.Call("mount", null, -1, "/x", "/proc/self/fd/8", 0, "", "no such device"));

    [Fact]
    public void AMovedSourceTreeIsNamedWithItsFd() =>
        Assert.Equal("move_mount src=/a, srcType=open_tree, srcFd=9, dst=/x, dstFd=/proc/self/fd/8: permission denied",
            MountWords.Call("move_mount", "/a", 9, "/x", "/proc/self/fd/8", 0, null, "permission denied"));

    [Fact]
    public void TheFailureSaysWhichMount() =>
        Assert.Equal("error mounting \"foo\" to rootfs at \"/x\": why", MountWords.Failure("foo", "/x", "why"));
}
