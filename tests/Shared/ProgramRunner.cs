using System.Diagnostics;

namespace Ocirun.Tests.Shared;

/// <summary>What a program run by <see cref="ProgramRunner"/> did.</summary>
public sealed record ProgramResult(string Command, int ExitCode, string Stdout, string Stderr)
{
    public ProgramResult EnsureSuccess(string? context = null) => ExitCode == 0 ? this
        : throw new Xunit.Sdk.XunitException($"`{Command}` exited {ExitCode}\nstdout: {Stdout}\nstderr: {Stderr}"
            + (context is null ? "" : "\n" + context));

    public override string ToString() => $"`{Command}`: exit {ExitCode}\nstdout: {Stdout}\nstderr: {Stderr}";
}

/// <summary>How to start a program: everything but the program and its arguments.</summary>
public sealed record ProgramOptions
{
    public IDictionary<string, string>? Env { get; init; }
    public bool ClearEnv { get; init; }
    public string? Stdin { get; init; }
    public string? Cwd { get; init; }
}

/// <summary>
/// Runs programs for the tests with stdin, stdout and stderr on files, never pipes: a detached
/// container, conmon or a containerd shim inherits the caller's stdio, and a pipe would only
/// reach end-of-file when they exit. Every wait has a time limit; on expiry the whole process
/// tree is killed and the call fails with what was printed so far.
/// </summary>
public static class ProgramRunner
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    public static ProgramResult Run(string file, IEnumerable<string> args, TimeSpan? timeout = null, ProgramOptions? options = null)
    {
        using var running = Start(file, args, options);
        return running.Wait(timeout ?? DefaultTimeout);
    }

    public static RunningProgram Start(string file, IEnumerable<string> args, ProgramOptions? options = null)
    {
        options ??= new ProgramOptions();
        var argList = args.ToList();
        var io = Directory.CreateTempSubdirectory("ocirun-test-io-").FullName;
        File.WriteAllText(Path.Combine(io, "in"), options.Stdin ?? "");
        var psi = Shell(file, argList, "<\"$OCIRUN_TEST_IO/in\" >\"$OCIRUN_TEST_IO/out\" 2>\"$OCIRUN_TEST_IO/err\"",
            options.Cwd);
        if (options.ClearEnv)
        {
            psi.Environment.Clear();
        }
        foreach (var (k, v) in options.Env ?? new Dictionary<string, string>())
        {
            psi.Environment[k] = v;
        }
        psi.Environment["OCIRUN_TEST_IO"] = io;
        return new RunningProgram(Process.Start(psi)!, io, $"{file} {string.Join(' ', argList.Select(Quote))}");
    }

    /// <summary>Starts a long-running program (a daemon) with stdout and stderr appended to one log file.</summary>
    public static Process StartLogged(string file, IEnumerable<string> args, string log, IDictionary<string, string>? env = null)
    {
        var psi = Shell(file, args.ToList(), ">>\"$OCIRUN_TEST_LOG\" 2>&1 </dev/null", Path.GetDirectoryName(log));
        psi.Environment["OCIRUN_TEST_LOG"] = log;
        foreach (var (k, v) in env ?? new Dictionary<string, string>())
        {
            psi.Environment[k] = v;
        }
        return Process.Start(psi)!;
    }

    /// <summary>Quotes one word for sh (for commands that take a command line, like `script -c`).</summary>
    public static string Quote(string s) =>
        s.Length > 0 && s.All(c => char.IsAsciiLetterOrDigit(c) || "-_./=:,@+%".Contains(c))
            ? s
            : "'" + s.Replace("'", "'\\''") + "'";

    private static ProcessStartInfo Shell(string file, List<string> args, string redirections, string? cwd)
    {
        var psi = new ProcessStartInfo("/bin/sh")
        {
            UseShellExecute = false,
            WorkingDirectory = cwd ?? Environment.CurrentDirectory,
        };
        // exec keeps the pid: signals sent to the handle, and a kill on timeout, reach the program itself.
        foreach (var a in new[] { "-c", $"exec \"$0\" \"$@\" {redirections}", file }.Concat(args))
        {
            psi.ArgumentList.Add(a);
        }
        return psi;
    }
}

/// <summary>A program started by <see cref="ProgramRunner.Start"/>; disposing kills it if it still runs.</summary>
public sealed class RunningProgram(Process process, string io, string command) : IDisposable
{
    public int Pid => process.Id;

    public bool HasExited => process.HasExited;

    public string StdoutSoFar => Read("out");

    public ProgramResult Wait(TimeSpan timeout)
    {
        if (!process.WaitForExit(timeout))
        {
            Kill();
            throw new TimeoutException(
                $"`{command}` did not finish in {timeout.TotalSeconds}s\nstdout: {Read("out")}\nstderr: {Read("err")}");
        }
        return new ProgramResult(command, process.ExitCode, Read("out"), Read("err"));
    }

    public void Dispose()
    {
        if (!process.HasExited)
        {
            Kill();
        }
        process.Dispose();
        Directory.Delete(io, recursive: true);
    }

    private void Kill()
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It ended meanwhile.
        }
        process.WaitForExit();
    }

    private string Read(string name)
    {
        var f = Path.Combine(io, name);
        return File.Exists(f) ? File.ReadAllText(f) : "";
    }
}
