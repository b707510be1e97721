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
    /// <param name="userSessions">Users' own systemd can run there (<see cref="AddUser"/>): the host's PAM configuration is bound in.</param>
    public SystemdMachine(bool cgroup2 = false, bool userSessions = false)
    {
        Name = $"ocirun-it-{Environment.ProcessId}" + (cgroup2 ? "-v2" : "") + (userSessions ? "-u" : "");
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
        if (userSessions)
        {
            // user@.service logs its user in through PAM ("systemd-user"); the machine's /etc starts empty.
            binds.AddRange(["--bind-ro=/etc/pam.d", "--bind-ro=/etc/security"]);
        }
        Run.Program(Script, ["start", Name, .. cgroup2 ? ["--cgroup2"] : Array.Empty<string>(), .. binds], TimeSpan.FromSeconds(120))
            .EnsureSuccess();
    }

    /// <summary>Runs a program inside (its namespaces; stdin is /dev/null).</summary>
    public CommandResult Exec(params string[] args) => Run.Program(Script, ["run", Name, .. args], TimeSpan.FromSeconds(120));

    /// <summary>Runs a shell command inside.</summary>
    public CommandResult Shell(string command) => Exec("sh", "-c", command);

    /// <summary>
    /// Makes a user in the machine (its /etc is the machine's own tmpfs) and starts that user's
    /// systemd (user@UID.service), whose session bus is /run/user/UID/bus.
    /// </summary>
    public void AddUser(string name, uint uid)
    {
        Exec("useradd", "-m", "-u", uid.ToString(), name).EnsureSuccess();
        Exec("systemctl", "start", $"user@{uid}.service").EnsureSuccess();
    }

    /// <summary>Runs a program in the machine as a user made by <see cref="AddUser"/>, with its XDG_RUNTIME_DIR.</summary>
    public CommandResult AsUser(string name, uint uid, params string[] args) =>
        Exec(["runuser", "-u", name, "--", "env", $"XDG_RUNTIME_DIR=/run/user/{uid}", .. args]);

    /// <summary>systemctl show's value of one property of a unit.</summary>
    public string Property(string unit, string property) =>
        Exec("systemctl", "show", unit, "-p", property, "--value").EnsureSuccess().Stdout.Trim();

    public void Dispose() => Run.Program(Script, ["stop", Name], TimeSpan.FromSeconds(60)).EnsureSuccess();
}
