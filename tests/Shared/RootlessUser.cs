namespace Ocirun.Tests.Shared;

/// <summary>
/// A non-root user made for rootless tests, as a distribution would give one: a passwd entry
/// (newuidmap and Podman look the caller up by name), 65536 subordinate uids and gids, a home
/// and an XDG_RUNTIME_DIR of its own. Dispose kills what still runs as the user, deletes the
/// user, its home, and puts /etc back as it was (the shadow tools' backup files, and subuid or
/// subgid files the tools created). A user of the same name left by a killed run is removed first.
/// </summary>
public sealed class RootlessUser : IDisposable
{
    /// <summary>Files useradd/userdel write besides passwd, group, shadow and gshadow themselves.</summary>
    private static readonly string[] Touched =
    [
        "/etc/passwd-", "/etc/group-", "/etc/shadow-", "/etc/gshadow-",
        "/etc/subuid", "/etc/subuid-", "/etc/subgid", "/etc/subgid-",
    ];

    private readonly Dictionary<string, byte[]?> _before = new();

    public RootlessUser(string name, string home, uint subidStart)
    {
        Name = name;
        RemoveUser(name);
        foreach (var f in Touched)
        {
            _before[f] = File.Exists(f) ? File.ReadAllBytes(f) : null;
        }
        Home = home;
        try
        {
            ProgramRunner.Run("useradd", ["-M", "-U", "-d", home, "-s", "/bin/sh", "-K", "SUB_UID_COUNT=0", "-K", "SUB_GID_COUNT=0", name])
                .EnsureSuccess();
            // usermod adds ranges only to files that exist (a fresh machine may have none).
            foreach (var f in new[] { "/etc/subuid", "/etc/subgid" }.Where(f => !File.Exists(f)))
            {
                File.WriteAllText(f, "");
            }
            ProgramRunner.Run("usermod", ["--add-subuids", $"{subidStart}-{subidStart + 65535}",
                "--add-subgids", $"{subidStart}-{subidStart + 65535}", name]).EnsureSuccess();
            Uid = uint.Parse(ProgramRunner.Run("id", ["-u", name]).EnsureSuccess().Stdout.Trim());
            Gid = uint.Parse(ProgramRunner.Run("id", ["-g", name]).EnsureSuccess().Stdout.Trim());
            SubidStart = subidStart;
            XdgRuntimeDir = Path.Combine(home, "xdg");
            Directory.CreateDirectory(XdgRuntimeDir);
            ProgramRunner.Run("chown", ["-R", $"{Uid}:{Gid}", home]).EnsureSuccess();
            File.SetUnixFileMode(home, (UnixFileMode)0x1ed /* 0755 */);
            File.SetUnixFileMode(XdgRuntimeDir, (UnixFileMode)0x1c0 /* 0700 */);
        }
        catch
        {
            // A fixture whose constructor throws is never disposed.
            Dispose();
            throw;
        }
    }

    public string Name { get; }
    public uint Uid { get; }
    public uint Gid { get; }
    public uint SubidStart { get; }
    public string Home { get; }
    public string XdgRuntimeDir { get; } = "";

    /// <summary>Runs a program as the user with a login-like environment of its own (nothing of root's).</summary>
    public ProgramResult Run(string program, IEnumerable<string> args, TimeSpan? timeout = null,
        IDictionary<string, string>? env = null, string? stdin = null, string? cwd = null)
    {
        var vars = new Dictionary<string, string>
        {
            ["PATH"] = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", ["HOME"] = Home, ["USER"] = Name,
            ["LOGNAME"] = Name, ["XDG_RUNTIME_DIR"] = XdgRuntimeDir,
        };
        foreach (var (k, v) in env ?? new Dictionary<string, string>())
        {
            vars[k] = v;
        }
        return ProgramRunner.Run("setpriv", ["--reuid", Uid.ToString(), "--regid", Gid.ToString(), "--init-groups",
            "env", "-i", .. vars.Select(kv => $"{kv.Key}={kv.Value}"), program, .. args], timeout,
            new ProgramOptions { Stdin = stdin, Cwd = cwd ?? Home });
    }

    /// <summary>Gives the user a directory tree the test made (a bundle, a delegated cgroup).</summary>
    public void Own(string path) => ProgramRunner.Run("chown", ["-R", $"{Uid}:{Gid}", path]).EnsureSuccess();

    public void Dispose()
    {
        RemoveUser(Name);
        foreach (var (f, content) in _before)
        {
            if (content == null)
            {
                File.Delete(f);
            }
            else
            {
                File.WriteAllBytes(f, content);
            }
        }
        if (Directory.Exists(Home))
        {
            ProgramRunner.Run("rm", ["-rf", "--one-file-system", Home]);
        }
    }

    private static void RemoveUser(string name)
    {
        if (ProgramRunner.Run("id", ["-u", name]).ExitCode != 0)
        {
            return;
        }
        ProgramRunner.Run("pkill", ["-KILL", "-u", name]);
        for (int i = 0; i < 50 && ProgramRunner.Run("pgrep", ["-u", name]).ExitCode == 0; i++)
        {
            Thread.Sleep(100);
        }
        ProgramRunner.Run("userdel", [name]).EnsureSuccess();
    }
}
