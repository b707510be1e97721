using System.Security.Cryptography;
using Ocirun.Runtime.Linux;

namespace Ocirun.IntegrationTests;

/// <summary>
/// Both ways of giving `ocirun init` an unwritable copy of the running binary (here: the test
/// host's own executable): the same bytes, another file, and no way to write it.
/// </summary>
public sealed class SealedExeTests
{
    [Fact]
    public void ReadOnlyOverlayOfTheBinarysDirectory()
    {
        int fd = SealedExe.ReadOnlyOverlay();
        if (fd < 0 && Environment.OSVersion.Version < new Version(6, 15))
        {
            return; // Such kernels refuse the detached layer: the runtime uses the memfd copy below.
        }
        AssertUnwritableCopy(fd);
    }

    [Fact]
    public void SealedMemfdCopy() => AssertUnwritableCopy(SealedExe.SealedCopy());

    private static void AssertUnwritableCopy(int fd)
    {
        Assert.True(fd >= 0);
        // By pid, not /proc/self: stat(1) runs in another process.
        var self = $"/proc/{Environment.ProcessId}";
        var path = $"{self}/fd/{fd}";
        try
        {
            Assert.Equal(Hash($"{self}/exe"), Hash(path));
            Assert.NotEqual(Identity($"{self}/exe"), Identity(path));
            Assert.False(CanWrite(path));
        }
        finally
        {
            Sys.Close(fd);
        }
    }

    /// <summary>Opening may succeed (a sealed memfd allows it); writing a byte must not.</summary>
    private static bool CanWrite(string path)
    {
        try
        {
            using var f = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 1);
            f.WriteByte(0);
            f.Flush();
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static string Hash(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));

    /// <summary>Device and inode of the file a path leads to.</summary>
    internal static string Identity(string path) =>
        Harness.Run.Program("stat", ["-L", "-c", "%d:%i", path]).EnsureSuccess().Stdout;
}
