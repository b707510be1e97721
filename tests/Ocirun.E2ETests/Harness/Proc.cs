global using ProcResult = Ocirun.Tests.Shared.ProgramResult;
using Ocirun.Tests.Shared;

namespace Ocirun.E2ETests.Harness;

/// <summary>The shared <see cref="ProgramRunner"/> for Podman and the tools around it: argv in one list.</summary>
public static class Proc
{
    public static ProcResult Run(IReadOnlyList<string> argv, TimeSpan? timeout = null, string? stdin = null,
        IDictionary<string, string>? env = null) =>
        ProgramRunner.Run(argv[0], argv.Skip(1), timeout, new ProgramOptions { Stdin = stdin, Env = env });

    public static ProcResult Run(params string[] argv) => Run(argv, null);

    public static string Quote(string s) => ProgramRunner.Quote(s);
}
