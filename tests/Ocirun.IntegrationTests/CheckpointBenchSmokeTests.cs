using Ocirun.IntegrationTests.Harness;
using Ocirun.Tests.Shared;

namespace Ocirun.IntegrationTests;

/// <summary>
/// `make bench`'s checkpoint/restore harness (scripts/bench-cr.sh), shortened to one small
/// round: ocirun, runc and plain CRIU with and without the kernel probe cache, and
/// the floor (the bytes alone written and read). It runs, every
/// row parses and it says nothing else. No timing asserts.
/// </summary>
[Collection(nameof(HostCriu))]
public sealed class CheckpointBenchSmokeTests : IDisposable
{
    private readonly string _dir = Scratch.NewDirectory("bench-cr-");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // In a pid namespace made after the session began (unshare without setsid), the session's
    // leader is outside it, as it is where CI runs: CRIU dumps no process whose leader it cannot see.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TheCheckpointBenchRunsARoundAndSaysNothingElse(bool inAPidNamespaceItsSessionBeganOutside)
    {
        var script = Path.Combine(RepoPaths.Root, "scripts", "bench-cr.sh");
        string[] args = inAPidNamespaceItsSessionBeganOutside
            ? ["--pid", "--fork", "--kill-child", "--mount-proc", script, TestEnv.Bin, TestEnv.Rootfs]
            : [TestEnv.Bin, TestEnv.Rootfs];
        var r = Run.Program(inAPidNamespaceItsSessionBeganOutside ? "unshare" : script, args, TimeSpan.FromMinutes(3),
            env: new Dictionary<string, string> { ["BENCH_CR_SIZES"] = "8", ["BENCH_CR_ROUNDS"] = "1" }).EnsureSuccess();
        foreach (var rt in new[] { "ocirun", "runc", "criu", "criu+kdat", "floor" })
        {
            Assert.Matches($@"(?m)^8 MiB +{System.Text.RegularExpressions.Regex.Escape(rt)} +[0-9]+ ms .* [0-9.]+x +[0-9.]+x\s*$", r.Stdout);
        }
        // Not even bash's report of the plain-CRIU program the dump kills ("Killed").
        Assert.Equal("", r.Stderr);
    }

    [Fact]
    public void AFailingStepSaysWhichItWasAndWhatWentWrong()
    {
        // A runtime that writes its error to --log, as runc does, and fails everything but `spec`.
        var fake = Path.Combine(_dir, "failing-runtime");
        File.WriteAllText(fake, $$"""
            #!/bin/sh
            [ "$1" = spec ] && exec {{TestEnv.Bin}} "$@"
            while [ $# -gt 0 ]; do [ "$1" = --log ] && echo 'level=error msg="no such thing"' >"$2"; shift; done
            exit 3
            """);
        File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var r = Run.Program(Path.Combine(RepoPaths.Root, "scripts", "bench-cr.sh"), [fake, TestEnv.Rootfs], TimeSpan.FromMinutes(1),
            env: new Dictionary<string, string> { ["BENCH_CR_SIZES"] = "8", ["BENCH_CR_ROUNDS"] = "1" });
        Assert.Equal(1, r.ExitCode);
        Assert.Matches($@"^bench-cr: '{System.Text.RegularExpressions.Regex.Escape(fake)} --log /tmp/ocirun-bench-cr\.\w+/ocirun\.log --root \S+ run -d .* b8-0' exited 3:
level=error msg=""no such thing""
$", r.Stderr);
        Assert.Equal("", r.Stdout);
        // Its work directory went with it.
        Assert.False(Directory.Exists(System.Text.RegularExpressions.Regex.Match(r.Stderr, @"/tmp/ocirun-bench-cr\.\w+").Value));
    }
}
