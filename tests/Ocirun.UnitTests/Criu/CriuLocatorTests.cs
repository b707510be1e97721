using Ocirun.Runtime;
using Ocirun.Runtime.Criu;

namespace Ocirun.UnitTests.Criu;

/// <summary>CriuLocator's order over a temp dir; the machine's own criu is never consulted.</summary>
public sealed class CriuLocatorTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("criu-locate-").FullName;
    private readonly Dictionary<string, string> _env = new();

    public void Dispose() => Directory.Delete(_dir, true);

    private string Exe(string relative, bool executable = true)
    {
        var path = Path.Combine(_dir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "#!/bin/sh\n");
        File.SetUnixFileMode(path, executable ? UnixFileMode.UserRead | UnixFileMode.UserExecute : UnixFileMode.UserRead);
        return path;
    }

    private CriuLocator Locator(params string[] known) => new(n => _env.GetValueOrDefault(n), known);

    [Fact]
    public void ExplicitPathWinsOverEverything()
    {
        var opt = Exe("opt/criu");
        _env["OCIRUN_CRIU"] = Exe("env/criu");
        _env["PATH"] = Path.GetDirectoryName(Exe("bin/criu"))!;
        Assert.Equal(Exe("explicit/criu"), Locator(opt).Locate(Path.Combine(_dir, "explicit/criu")));
    }

    [Fact]
    public void EnvironmentBeforeKnownPaths()
    {
        _env["OCIRUN_CRIU"] = Exe("env/criu");
        Assert.Equal(_env["OCIRUN_CRIU"], Locator(Exe("opt/criu")).Locate(null));
    }

    [Fact]
    public void KnownPathsInOrderBeforePath()
    {
        _env["PATH"] = Path.GetDirectoryName(Exe("bin/criu"))!;
        var second = Exe("local/criu");
        Assert.Equal(second, Locator(Path.Combine(_dir, "missing/criu"), Exe("opt/criu", executable: false), second).Locate(""));
    }

    [Fact]
    public void PathSearchedInOrder()
    {
        Exe("b/criu");
        _env["PATH"] = $"{_dir}/none:{_dir}/a:{_dir}/b";
        Exe("a/criu", executable: false);
        Assert.Equal(Path.Combine(_dir, "b/criu"), Locator().Locate(null));
    }

    [Fact]
    public void BareNameIsLookedUpInPath()
    {
        _env["PATH"] = Path.GetDirectoryName(Exe("bin/criu-4"))!;
        Assert.Equal(Path.Combine(_dir, "bin/criu-4"), Locator(Exe("opt/criu")).Locate("criu-4"));
    }

    [Fact]
    public void WithoutPathTheStandardDirectoriesAreSearched()
    {
        // sh stands in for criu: every Linux has it in one of the standard directories.
        var sh = Locator().Locate("sh");
        Assert.Contains(Path.GetDirectoryName(sh), CriuLocator.StandardPath.Split(':'));
    }

    [Fact]
    public void NotFound()
    {
        _env["PATH"] = Path.Combine(_dir, "empty");
        var e = Assert.Throws<ContainerException>(() => Locator(Path.Combine(_dir, "nope")).Locate(null));
        Assert.Equal("criu not found: install it with `make deps` or pass --criu PATH", e.Message);
    }

    [Fact]
    public void ExplicitPathThatIsNotExecutable()
    {
        var path = Exe("x/criu", executable: false);
        var e = Assert.Throws<ContainerException>(() => Locator(Exe("opt/criu")).Locate(path));
        Assert.Equal($"criu not found: --criu {path} is not an executable file", e.Message);
        _env["OCIRUN_CRIU"] = "/nonexistent/criu";
        Assert.Contains("OCIRUN_CRIU /nonexistent/criu", Assert.Throws<ContainerException>(() => Locator().Locate(null)).Message);
    }
}
