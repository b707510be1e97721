using Ocirun.Runtime;

namespace Ocirun.UnitTests;

/// <summary>File errors as the one-line messages runc prints, also where .NET's messages are resource keys.</summary>
public class ErrorWordingTests
{
    [Fact]
    public void MissingFileNamesThePath() =>
        Assert.Equal("open /a/b: no such file or directory", Ocirun.Cli.Cli.Describe(new FileNotFoundException("IO_FileNotFound_FileName, /a/b", "/a/b")));

    [Fact]
    public void MissingDirectoryTakesThePathFromTheResourceKeyMessage() =>
        Assert.Equal("open /x/y: no such file or directory", Ocirun.Cli.Cli.Describe(new DirectoryNotFoundException("IO_PathNotFound_Path, /x/y")));

    [Fact]
    public void DeniedAccessSaysPermissionDenied() =>
        Assert.Equal("open /root/z: permission denied", Ocirun.Cli.Cli.Describe(new UnauthorizedAccessException("UnauthorizedAccess_IODenied_Path, /root/z")));

    [Fact]
    public void OtherMessagesAreKept() =>
        Assert.Equal("container does not exist", Ocirun.Cli.Cli.Describe(new ContainerException("container does not exist")));

    [Fact]
    public void APrefixGoesBeforeTheCauseAsTheCliWordsIt() =>
        Assert.Equal("ocirun create failed: unable to start container process: open /a/b: no such file or directory",
            Ocirun.Cli.Cli.Describe(new PrefixedException("ocirun create failed: ",
                new PrefixedException("unable to start container process: ", new FileNotFoundException("IO_FileNotFound_FileName, /a/b", "/a/b")))));

    [Fact]
    public void APrefixedFailureExitsWithItsCausesCodeUnlessGivenOne()
    {
        Assert.Equal(3, new PrefixedException("x: ", new PrefixedException("y: ", new ContainerException("z", 3))).ExitCode);
        Assert.Equal(1, new PrefixedException("x: ", new IOException("z")).ExitCode);
        Assert.Equal(255, new PrefixedException("exec failed: ", new ContainerException("z", 3), 255).ExitCode);
    }

    [Theory]
    [InlineData(0x0300, "exit status 3")]
    [InlineData(0, "exit status 0")]
    [InlineData(9, "signal: killed")]
    [InlineData(15, "signal: terminated")]
    [InlineData(11 | 0x80, "signal: segmentation fault (core dumped)")]
    [InlineData(29, "signal: I/O possible")]
    [InlineData(31, "signal: bad system call")]
    [InlineData(34, "signal: signal 34")]
    public void AWaitStatusInGosWords(int status, string text) =>
        Assert.Equal(text, Ocirun.Runtime.Linux.WaitStatusText.Of(status));
}
