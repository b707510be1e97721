using Ocirun.Runtime.Linux;
using Ocirun.Spec.Model;
using static Ocirun.Runtime.Interop.Consts;

namespace Ocirun.Runtime.Security;

/// <summary>
/// Writes a new user namespace's id maps from the host side, as runc does: directly where the
/// kernel allows it (root; a rootless caller mapping only its own ids), otherwise through the
/// setuid newuidmap/newgidmap, which grant the ranges /etc/subuid and /etc/subgid give the user.
/// </summary>
internal static class IdMapWriter
{
    public static void Write(int pid, IReadOnlyList<IdMapping>? uids, IReadOnlyList<IdMapping>? gids)
    {
        // The kernel lets an unprivileged process write gid_map only after setgroups is
        // denied; newgidmap decides that itself, so it is done only when no tool is needed.
        if (Rootless.Euid != 0 && !NeedsMappingTool(gids, Rootless.Egid))
        {
            Sys.WriteFile($"/proc/{pid}/setgroups", "deny");
        }
        WriteOne(pid, "uid", uids);
        WriteOne(pid, "gid", gids);
    }

    /// <summary>runc's test: anything but the caller's own gid as the container's 0 needs newgidmap.</summary>
    public static bool NeedsMappingTool(IReadOnlyList<IdMapping>? gids, uint egid) =>
        gids is not [{ ContainerId: 0, Size: 1 } only] || only.HostId != egid;

    /// <summary>newuidmap's arguments: the pid, then "inside outside size" of each mapping.</summary>
    public static List<string> ToolArgs(string tool, int pid, IReadOnlyList<IdMapping> maps) =>
        [tool, pid.ToString(), .. maps.SelectMany(m => new[] { m.ContainerId.ToString(), m.HostId.ToString(), m.Size.ToString() })];

    private static void WriteOne(int pid, string kind, IReadOnlyList<IdMapping>? maps)
    {
        if (maps is not { Count: > 0 })
        {
            return;
        }
        try
        {
            Sys.WriteFile($"/proc/{pid}/{kind}_map", IdmapUserns.MapText(maps));
            return;
        }
        catch (LinuxException e) when (e.Errno == EPERM && Rootless.Euid != 0)
        {
            DebugLog.Write($"update /proc/{pid}/{kind}_map got EPERM, trying new{kind}map");
        }
        // Looked up on the runtime's own PATH, as runc does before its nsexec runs.
        var tool = PathSearch.Find($"new{kind}map", Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin")
            ?? throw new ContainerException($"new{kind}map: mapping tool not present");
        int child = Spawner.Spawn(tool, ToolArgs(tool, pid, maps), [], []);
        if (Sys.ExitCodeOf(Sys.WaitPid(child)) != 0)
        {
            throw new ContainerException($"failed to use new{kind} map on {pid}");
        }
    }
}
