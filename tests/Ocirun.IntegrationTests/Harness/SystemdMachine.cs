using Ocirun.Tests.Shared;

namespace Ocirun.IntegrationTests.Harness;

/// <summary>
/// A host with systemd as PID 1 (scripts/systemd-machine.sh: this machine's OS booted in
/// systemd-nspawn) for the systemd cgroup driver's tests. The runtime's directory, the
/// integration tests' scratch directory and CRIU's prefix are bound into it at the same
/// places, so bundles made with <see cref="Bundle"/> run there unchanged.
/// </summary>
public sealed class SystemdMachine : IDisposable
{
    private static string Script => Path.Combine(RepoPaths.Root, "scripts", "systemd-machine.sh");

    public string Name { get; }

    /// <summary>ocirun's path inside the machine.</summary>
    public string Bin { get; } = TestEnv.Bin;

    /// <param name="cgroup2">The machine sees cgroup2 only (this host's, which has no controllers).</param>
    public SystemdMachine(bool cgroup2 = false)
    {
        Name = $"ocirun-it-{Environment.ProcessId}" + (cgroup2 ? "-v2" : "");
        Directory.CreateDirectory(Scratch.Base);
        var binds = new List<string>
        {
            $"--bind={Path.GetDirectoryName(TestEnv.Bin)}",
            $"--bind={Scratch.Base}",
        };
        if (Directory.Exists("/opt/ocirun"))
        {
            binds.Add("--bind-ro=/opt/ocirun"); // CRIU's private prefix
        }
        Run.Program(Script, ["start", Name, .. cgroup2 ? ["--cgroup2"] : Array.Empty<string>(), .. binds], TimeSpan.FromSeconds(120))
            .EnsureSuccess();
    }

    /// <summary>Runs a program inside (its namespaces; stdin is /dev/null).</summary>
    public CommandResult Exec(params string[] args) => Run.Program(Script, ["run", Name, .. args], TimeSpan.FromSeconds(120));

    /// <summary>Runs a shell command inside.</summary>
    public CommandResult Shell(string command) => Exec("sh", "-c", command);

    /// <summary>systemctl show's value of one property of a unit.</summary>
    public string Property(string unit, string property) =>
        Exec("systemctl", "show", unit, "-p", property, "--value").EnsureSuccess().Stdout.Trim();

    public void Dispose() => Run.Program(Script, ["stop", Name], TimeSpan.FromSeconds(60)).EnsureSuccess();
}
