using Ocirun.Runtime.Interop;
using Ocirun.Runtime.Linux;
using static Ocirun.Runtime.Interop.Consts;

namespace Ocirun.UnitTests;

/// <summary>errno is the failed call's, not that of a close made while cleaning up after it.</summary>
public sealed class LinuxExceptionTests
{
    [Fact]
    public void LastClosingReportsTheFailedCallsErrno()
    {
        int fd = Libc.open("/dev/null", O_RDONLY | O_CLOEXEC, 0);
        Assert.True(fd >= 0);
        Assert.True(Libc.open("/nonexistent/ocirun-test", O_RDONLY | O_CLOEXEC, 0) < 0);
        var e = LinuxException.LastClosing(fd, "open /nonexistent/ocirun-test");
        Assert.Equal(ENOENT, e.Errno);
        Assert.Equal("open /nonexistent/ocirun-test: no such file or directory", e.Message);
    }

    [Fact]
    public void ACloseAfterTheFailureWouldHaveReplacedItsErrno()
    {
        // Why LastClosing exists: the close's own P/Invoke resets the error to its result.
        int fd = Libc.open("/dev/null", O_RDONLY | O_CLOEXEC, 0);
        Assert.True(Libc.open("/nonexistent/ocirun-test", O_RDONLY | O_CLOEXEC, 0) < 0);
        Libc.close(fd);
        Assert.NotEqual(ENOENT, LinuxException.Last("open").Errno);
    }
}
