global using ContainerdResult = Ocirun.Tests.Shared.ProgramResult;
using System.Runtime.InteropServices;
using Ocirun.Tests.Shared;

namespace Ocirun.E2ETests.Harness;

/// <summary>The shared <see cref="ProgramRunner"/> for containerd, its daemon and ctr.</summary>
internal static class ContainerdRun
{
    public static ContainerdResult Program(string file, IEnumerable<string> args, TimeSpan? timeout = null) =>
        ProgramRunner.Run(file, args, timeout);

    /// <summary>Starts a long-running program (the daemon) with stdout and stderr appended to one log file.</summary>
    public static System.Diagnostics.Process StartLogged(string file, IEnumerable<string> args, string log,
        IDictionary<string, string>? env = null) =>
        ProgramRunner.StartLogged(file, args, log, env);

    public static void Signal(int pid, int signal) => _ = kill(pid, signal);

    /// <summary>The last lines of a daemon's log, headed with its name, for failure messages.</summary>
    public static string LogTail(string log, string daemon, int lines = 40)
    {
        try
        {
            var all = File.ReadAllLines(log);
            return $"{daemon} log (end):\n" + string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
        }
        catch (IOException)
        {
            return "";
        }
    }

    public const int SIGKILL = 9, SIGTERM = 15;

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);
}
