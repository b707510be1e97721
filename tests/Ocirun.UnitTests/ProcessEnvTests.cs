using Ocirun.Runtime;
using Ocirun.Runtime.Process;

namespace Ocirun.UnitTests;

/// <summary>ProcessEnv: HOME from a passwd file and executable lookup on the container's PATH.</summary>
public sealed class ProcessEnvTests : IDisposable
{
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private string Exe(string relative, bool executable = true)
    {
        var path = _tmp.Write(relative, "#!/bin/sh\n");
        File.SetUnixFileMode(path, executable ? UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            : UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    [Fact]
    public void LookPathSearchesPathInOrder()
    {
        Exe("a/tool", executable: false);
        var b = Exe("b/tool");
        Exe("c/tool");
        var env = new[] { "X=1", $"PATH={_tmp.Combine("a")}:{_tmp.Combine("missing")}:{_tmp.Combine("b")}:{_tmp.Combine("c")}" };
        Assert.Equal(b, ProcessEnv.LookPath("tool", env));
    }

    [Fact]
    public void LookPathUsesTheLastPathEntry()
    {
        var c = Exe("c/tool");
        Exe("b/tool");
        Assert.Equal(c, ProcessEnv.LookPath("tool", [$"PATH={_tmp.Combine("b")}", $"PATH={_tmp.Combine("c")}"]));
    }

    [Fact]
    public void LookPathNotFound() => Assert.Equal("exec: \"nosuchtool\": executable file not found in $PATH",
        Assert.Throws<ContainerException>(() => ProcessEnv.LookPath("nosuchtool", [$"PATH={_tmp.Path}"])).Message);

    [Fact]
    public void NameWithSlashIsNotSearched()
    {
        var exe = Exe("d/run.sh");
        Assert.Equal(exe, ProcessEnv.LookPath(exe, ["PATH=/nonexistent"]));
        var missing = _tmp.Combine("d", "gone");
        Assert.Equal($"exec: \"{missing}\": stat {missing}: no such file or directory",
            Assert.Throws<ContainerException>(() => ProcessEnv.LookPath(missing, [])).Message);
    }

    [Fact]
    public void APathThatCannotBeRunIsRefusedInGosWords()
    {
        // runc's init refuses these at create (Go's exec.LookPath), not when start execs them.
        var dir = _tmp.Combine("d2");
        Directory.CreateDirectory(dir);
        Assert.Equal($"exec: \"{dir}\": is a directory", Assert.Throws<ContainerException>(() => ProcessEnv.LookPath(dir, [])).Message);
        var text = _tmp.Combine("d2", "text");
        File.WriteAllText(text, "x");
        File.SetUnixFileMode(text, (UnixFileMode)0x1a4 /* 0644 */);
        Assert.Equal($"exec: \"{text}\": permission denied", Assert.Throws<ContainerException>(() => ProcessEnv.LookPath(text, [])).Message);
    }

    [Fact]
    public void DirectoryOnPathIsNotAnExecutable()
    {
        Directory.CreateDirectory(_tmp.Combine("e", "tool"));
        Assert.Throws<ContainerException>(() => ProcessEnv.LookPath("tool", [$"PATH={_tmp.Combine("e")}"]));
    }

    private const string Passwd = """
        root:x:0:0:root:/root:/bin/bash
        # comment line
        short:x:5
        nginx:x:101:101:nginx user:/var/lib/nginx:/sbin/nologin
        user:x:1000:1000::/home/user:/bin/sh
        dup:x:1000:1000::/home/dup:/bin/sh
        """;

    [Theory]
    [InlineData(0u, "/root")]
    [InlineData(101u, "/var/lib/nginx")]
    [InlineData(1000u, "/home/user")]
    [InlineData(5u, "/")]
    [InlineData(4242u, "/")]
    public void HomeOfReadsPasswd(uint uid, string home) =>
        Assert.Equal(home, ProcessEnv.HomeOf(uid, _tmp.Write("passwd", Passwd)));

    [Fact]
    public void HomeOfMissingPasswdIsRoot() => Assert.Equal("/", ProcessEnv.HomeOf(0, _tmp.Combine("nope")));

    [Fact]
    public void BuildKeepsExistingHome()
    {
        var env = ProcessEnv.Build(new Spec.Model.Process { Env = ["A=1", "HOME=/custom"], User = new() { Uid = 4242 } });
        Assert.Equal(["A=1", "HOME=/custom"], env);
    }

    [Fact]
    public void BuildAddsHomeLast()
    {
        var env = ProcessEnv.Build(new Spec.Model.Process { Env = ["A=1", "HOMEDIR=x"], User = new() { Uid = 4242 } });
        Assert.Equal(3, env.Count);
        Assert.StartsWith("HOME=/", env[2]);
    }

    [Fact]
    public void AnEmptyHomeIsReplaced()
    {
        var env = ProcessEnv.Build(new Spec.Model.Process { Env = ["HOME=", "A=1"], User = new() { Uid = 4242 } });
        Assert.Equal(["A=1", "HOME=/"], env);
    }

    [Fact]
    public void EachVariableOnceTheLastValueWinsAtItsLastPlace() =>
        Assert.Equal(["B=2", "A=3", "C=4"], ProcessEnv.Dedup(["A=1", "B=2", "A=3", "C=1", "C=4"]));
}
