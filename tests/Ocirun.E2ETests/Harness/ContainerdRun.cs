using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Ocirun.E2ETests.Harness;

/// <summary>What a program run by <see cref="ContainerdRun"/> did.</summary>
public sealed record ContainerdResult(string Command, int ExitCode, string Stdout, string Stderr)
{
    public ContainerdResult EnsureSuccess(string? context = null)
    {
        if (ExitCode != 0)
        {
            throw new Xunit.Sdk.XunitException($"{Command}: exit {ExitCode}\nstdout: {Stdout}\nstderr: {Stderr}" +
                (context is null ? "" : "\n" + context));
        }
        return this;
    }

    public override string ToString() => $"{Command}: exit {ExitCode}; stdout: {Stdout}; stderr: {Stderr}";
}

/// <summary>
/// Runs programs for the containerd tests. Output goes to files, not pipes: containerd's shims
/// and the containers they start must never hold a pipe of ours open (a pipe would only reach
/// end-of-file when they exit).
/// </summary>
internal static class ContainerdRun
{
    public static ContainerdResult Program(string file, IEnumerable<string> args, TimeSpan? timeout = null)
    {
        var argList = args.ToList();
        var what = $"{file} {string.Join(' ', argList)}";
        var dir = Directory.CreateTempSubdirectory("ocirun-e2e-ctrd-io-").FullName;
        try
        {
            using var process = Start(file, argList, dir, Path.Combine(dir, "out"), Path.Combine(dir, "err"));
            if (!process.WaitForExit(timeout ?? TimeSpan.FromSeconds(60)))
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
                throw new TimeoutException($"{what} did not finish in time; stdout: " +
                    $"{File.ReadAllText(Path.Combine(dir, "out"))}; stderr: {File.ReadAllText(Path.Combine(dir, "err"))}");
            }
            return new ContainerdResult(what, process.ExitCode, File.ReadAllText(Path.Combine(dir, "out")),
                File.ReadAllText(Path.Combine(dir, "err")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Starts a long-running program (the daemon) with stdout and stderr appended to one log file.</summary>
    public static Process StartLogged(string file, IEnumerable<string> args, string log) =>
        Start(file, args.ToList(), Path.GetDirectoryName(log)!, log, log);

    private static Process Start(string file, List<string> args, string cwd, string stdout, string stderr)
    {
        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, WorkingDirectory = cwd };
        // exec keeps the pid, so signals sent to the handle reach the program itself.
        var redirect = stdout == stderr ? ">>\"$E2E_OUT\" 2>&1" : ">\"$E2E_OUT\" 2>\"$E2E_ERR\"";
        foreach (var a in new[] { "-c", $"exec \"$0\" \"$@\" </dev/null {redirect}", file }.Concat(args))
        {
            psi.ArgumentList.Add(a);
        }
        psi.Environment["E2E_OUT"] = stdout;
        psi.Environment["E2E_ERR"] = stderr;
        return Process.Start(psi)!;
    }

    public static void Signal(int pid, int signal) => _ = kill(pid, signal);

    public const int SIGKILL = 9, SIGTERM = 15;

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);
}
