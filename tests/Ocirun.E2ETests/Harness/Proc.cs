using System.Diagnostics;

namespace Ocirun.E2ETests.Harness;

public sealed record ProcResult(int ExitCode, string Stdout, string Stderr, string Command)
{
    public ProcResult EnsureSuccess()
    {
        if (ExitCode != 0)
        {
            throw new Xunit.Sdk.XunitException($"`{Command}` exited {ExitCode}\nstdout: {Stdout}\nstderr: {Stderr}");
        }
        return this;
    }

    public override string ToString() => $"`{Command}`: exit {ExitCode}\nstdout: {Stdout}\nstderr: {Stderr}";
}

/// <summary>
/// Runs a program with stdin, stdout and stderr on files, never pipes: conmon and the
/// containers it starts inherit Podman's stdio, and a pipe would stay open (and the read
/// would hang) for as long as they live. Every call has a time limit; on expiry the whole
/// process tree is killed and the call fails with what was printed so far.
/// </summary>
public static class Proc
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    public static ProcResult Run(IReadOnlyList<string> argv, TimeSpan? timeout = null, string? stdin = null,
        IDictionary<string, string>? env = null)
    {
        var io = Directory.CreateTempSubdirectory("ocirun-e2e-io-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(io, "in"), stdin ?? "");
            var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
            // exec keeps the pid, so a kill on timeout reaches the program itself.
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add("exec \"$0\" \"$@\" <\"$OCIRUN_E2E_IO/in\" >\"$OCIRUN_E2E_IO/out\" 2>\"$OCIRUN_E2E_IO/err\"");
            foreach (var a in argv)
            {
                psi.ArgumentList.Add(a);
            }
            foreach (var (k, v) in env ?? new Dictionary<string, string>())
            {
                psi.Environment[k] = v;
            }
            psi.Environment["OCIRUN_E2E_IO"] = io;
            var command = string.Join(' ', argv.Select(Quote));
            using var p = Process.Start(psi)!;
            var limit = timeout ?? DefaultTimeout;
            if (!p.WaitForExit(limit))
            {
                try
                {
                    p.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                }
                p.WaitForExit();
                throw new TimeoutException(
                    $"`{command}` did not finish in {limit.TotalSeconds}s\nstdout: {Read(io, "out")}\nstderr: {Read(io, "err")}");
            }
            return new ProcResult(p.ExitCode, Read(io, "out"), Read(io, "err"), command);
        }
        finally
        {
            Directory.Delete(io, recursive: true);
        }
    }

    public static ProcResult Run(params string[] argv) => Run(argv, null);

    /// <summary>Quotes one word for sh (for `script -c`, which takes a command line).</summary>
    public static string Quote(string s) =>
        s.Length > 0 && s.All(c => char.IsAsciiLetterOrDigit(c) || "-_./=:,@+%".Contains(c))
            ? s
            : "'" + s.Replace("'", "'\\''") + "'";

    private static string Read(string dir, string name)
    {
        var f = Path.Combine(dir, name);
        return File.Exists(f) ? File.ReadAllText(f) : "";
    }
}
