using System.Text.Json;

namespace Ocirun.E2ETests.Harness;

/// <summary>
/// `podman --root .. --runroot .. --tmpdir .. --runtime NAME ...` for one <see cref="PodmanHost"/>,
/// with CONTAINERS_CONF set to that host's configuration for NAME.
/// </summary>
public sealed class Podman(PodmanHost host, string runtime)
{
    public PodmanHost Host => host;

    public string Runtime => runtime;

    public Dictionary<string, string> Env => host.Env(runtime);

    /// <summary>The full command line, including the network namespace entry if the host has one.</summary>
    public string[] Argv(params string[] args) =>
        [.. host.NetNs?.Prefix ?? [], "podman", "--root", host.Root, "--runroot", host.RunRoot,
            "--tmpdir", host.TmpDir, "--runtime", runtime, .. args];

    public ProcResult Run(params string[] args) => Proc.Run(Argv(args), null, null, Env);

    public ProcResult Ok(params string[] args) => Run(args).EnsureSuccess();

    /// <summary>
    /// Runs the podman command under util-linux `script`, so that Podman's stdin and stdout
    /// are a terminal (as for a person typing); <paramref name="input"/> is typed into it.
    /// </summary>
    public ProcResult InTerminal(string input, params string[] args) =>
        Proc.Run(["script", "-qec", string.Join(' ', Argv(args).Select(Proc.Quote)), "/dev/null"],
            TimeSpan.FromSeconds(60), input, Env);

    public JsonElement Inspect(string name) =>
        JsonDocument.Parse(Ok("inspect", name).Stdout).RootElement[0];

    public string Logs(string name) => Ok("logs", name).Stdout;

    /// <summary>Names of the containers `podman ps` (or `ps -a`) lists.</summary>
    public List<(string Name, string Status)> Ps(bool all = false)
    {
        var r = Ok(all ? ["ps", "-a", "--format", "{{.Names}}\t{{.Status}}"] : ["ps", "--format", "{{.Names}}\t{{.Status}}"]);
        return r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split('\t'))
            .Select(f => (f[0], f.Length > 1 ? f[1] : ""))
            .ToList();
    }

    public string? Status(string name, bool all = true) =>
        Ps(all).Where(c => c.Name == name).Select(c => c.Status).FirstOrDefault();
}
