using Ocirun.Runtime.Linux;

namespace Ocirun.UnitTests;

/// <summary>The owned descriptor: closed once when disposed, never when given away.</summary>
public class FdTests
{
    private static int OpenDevNull() => Sys.Open("/dev/null", Ocirun.Runtime.Interop.Consts.O_RDONLY);

    private static bool IsOpen(int fd) => File.Exists($"/proc/self/fd/{fd}");

    [Fact]
    public void DisposeClosesItOnce()
    {
        int n = OpenDevNull();
        var fd = new Fd(n);
        Assert.Equal(n, fd.Value);
        fd.Dispose();
        Assert.False(IsOpen(n));
        Assert.Equal(-1, fd.Value);
        // A second dispose must not close the number, which the process may have given to
        // something else since: here to a copy of /dev/null put there on purpose.
        int other = OpenDevNull();
        if (other != n)
        {
            Assert.Equal(n, Ocirun.Runtime.Interop.Libc.dup3(other, n, 0));
            Sys.Close(other);
        }
        try
        {
            fd.Dispose();
            Assert.True(IsOpen(n));
        }
        finally
        {
            Sys.Close(n);
        }
    }

    [Fact]
    public void ATakenDescriptorStaysOpen()
    {
        int n;
        using (var fd = new Fd(OpenDevNull()))
        {
            n = fd.Take();
        }
        Assert.True(IsOpen(n));
        Sys.Close(n);
    }

    [Fact]
    public void NothingHeldIsNothingClosed()
    {
        using var none = new Fd(-1);
        Assert.True(none.IsInvalid);
    }

    [Fact]
    public void ASetClosesEveryOne()
    {
        int a, b;
        using (var set = new FdSet())
        {
            a = set.Add(OpenDevNull());
            b = set.Add(OpenDevNull());
            Assert.True(IsOpen(a) && IsOpen(b));
        }
        Assert.False(IsOpen(a));
        Assert.False(IsOpen(b));
    }
}
