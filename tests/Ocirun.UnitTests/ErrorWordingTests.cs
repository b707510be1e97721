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
}
