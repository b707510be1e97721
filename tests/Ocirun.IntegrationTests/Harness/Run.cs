namespace Ocirun.IntegrationTests.Harness;

/// <summary>Runs programs with captured output and a time limit.</summary>
public static class Run
{
    public static CommandResult Program(string file, IEnumerable<string> args, TimeSpan? timeout = null,
        IDictionary<string, string>? env = null, bool clearEnv = false, string? stdin = null, string? cwd = null)
    {
        using var running = Start(file, args, env, clearEnv, stdin, cwd);
        return running.Wait(timeout ?? TimeSpan.FromSeconds(60));
    }

    /// <summary>
    /// Output goes to files, not pipes: a detached container inherits the runtime's stdio, and
    /// a pipe would only reach end-of-file when that container exits.
    /// </summary>
    public static RunningCommand Start(string file, IEnumerable<string> args, IDictionary<string, string>? env = null,
        bool clearEnv = false, string? stdin = null, string? cwd = null)
    {
        var dir = Directory.CreateTempSubdirectory("ocirun-it-io-").FullName;
        File.WriteAllText(Path.Combine(dir, "in"), stdin ?? "");
        var psi = new System.Diagnostics.ProcessStartInfo("/bin/sh")
        {
            UseShellExecute = false,
            WorkingDirectory = cwd ?? Environment.CurrentDirectory,
        };
        // exec keeps the pid: signals sent to the handle reach the program itself.
        foreach (var a in new[] { "-c", "exec \"$0\" \"$@\" <\"$OCIRUN_IT_IO/in\" >\"$OCIRUN_IT_IO/out\" 2>\"$OCIRUN_IT_IO/err\"", file }
            .Concat(args))
        {
            psi.ArgumentList.Add(a);
        }
        if (clearEnv)
        {
            psi.Environment.Clear();
        }
        foreach (var (k, v) in env ?? new Dictionary<string, string>())
        {
            psi.Environment[k] = v;
        }
        psi.Environment["OCIRUN_IT_IO"] = dir;
        return new RunningCommand(System.Diagnostics.Process.Start(psi)!, dir, $"{file} {string.Join(' ', args)}");
    }
}

public sealed class RunningCommand(System.Diagnostics.Process process, string dir, string what) : IDisposable
{
    public int Pid => process.Id;

    public string StdoutSoFar => File.Exists(Path.Combine(dir, "out")) ? File.ReadAllText(Path.Combine(dir, "out")) : "";

    public CommandResult Wait(TimeSpan timeout)
    {
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{what} did not finish");
        }
        return new CommandResult(process.ExitCode, File.ReadAllText(Path.Combine(dir, "out")),
            File.ReadAllText(Path.Combine(dir, "err")));
    }

    public void Dispose()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
        process.Dispose();
        Directory.Delete(dir, recursive: true);
    }
}
