global using CommandResult = Ocirun.Tests.Shared.ProgramResult;
global using RunningCommand = Ocirun.Tests.Shared.RunningProgram;
using Ocirun.Tests.Shared;

namespace Ocirun.IntegrationTests.Harness;

/// <summary>The shared <see cref="ProgramRunner"/>, with this project's argument style.</summary>
public static class Run
{
    public static CommandResult Program(string file, IEnumerable<string> args, TimeSpan? timeout = null,
        IDictionary<string, string>? env = null, bool clearEnv = false, string? stdin = null, string? cwd = null) =>
        ProgramRunner.Run(file, args, timeout, new ProgramOptions { Env = env, ClearEnv = clearEnv, Stdin = stdin, Cwd = cwd });

    public static RunningCommand Start(string file, IEnumerable<string> args, IDictionary<string, string>? env = null,
        bool clearEnv = false, string? stdin = null, string? cwd = null) =>
        ProgramRunner.Start(file, args, new ProgramOptions { Env = env, ClearEnv = clearEnv, Stdin = stdin, Cwd = cwd });
}
