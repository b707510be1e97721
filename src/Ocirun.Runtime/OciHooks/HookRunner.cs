using System.Text;
using Ocirun.Runtime.Interop;
using Ocirun.Runtime.Linux;
using static Ocirun.Runtime.Interop.Consts;

namespace Ocirun.Runtime.OciHooks;

/// <summary>Runs OCI hooks: the state JSON on stdin, the hook's env, an optional timeout.</summary>
internal static unsafe class HookRunner
{
    /// <summary>
    /// Runs the hooks of one kind in order; a hook without its own env gets defaultEnv (the
    /// container process's environment for startContainer hooks, as runc 1.3 gives it) or none.
    /// </summary>
    public static void RunAll(string kind, IEnumerable<Spec.Model.Hook>? hooks, string stateJson, IReadOnlyList<string>? defaultEnv = null)
    {
        int i = 0;
        foreach (var h in hooks ?? [])
        {
            try
            {
                Run(h, stateJson, h.Env ?? defaultEnv ?? []);
            }
            catch (Exception e) when (e is LinuxException or ContainerException)
            {
                throw new ContainerException($"error running {kind} hook #{i}: {e.Message}");
            }
            i++;
        }
    }

    private static void Run(Spec.Model.Hook hook, string stateJson, IReadOnlyList<string> env)
    {
        int* p = stackalloc int[2];
        LinuxException.Check(Libc.pipe2(p, O_CLOEXEC), "pipe");
        using var writeEnd = new Fd(p[1]);
        using var output = new HookOutput();
        int pid;
        using (var readEnd = new Fd(p[0]))
        {
            var args = hook.Args is { Count: > 0 } a ? a : [hook.Path];
            // Only stdin (the state), stdout and stderr: nothing else the runtime or the init holds.
            try
            {
                pid = Spawner.Spawn(hook.Path, args, env, [(readEnd.Value, 0), .. output.FdMap], closeFrom: 3);
            }
            catch (LinuxException e)
            {
                // Go's words for a hook that could not be started, which runc reports.
                throw new ContainerException($"fork/exec {hook.Path}: {LinuxException.ErrnoText(e.Errno)}");
            }
        }
        output.Spawned();
        // A hook that does not read its stdin must not block us: ignore EPIPE.
        Libc.fcntl(writeEnd.Value, F_SETFL, O_NONBLOCK);
        var bytes = Encoding.UTF8.GetBytes(stateJson);
        fixed (byte* b = bytes)
        {
            Libc.write(writeEnd.Value, b, bytes.Length);
        }
        writeEnd.Dispose(); // the hook sees the end of its input before we wait for it
        int status = output.WaitFor(pid, hook.Timeout);
        if (status != 0)
        {
            throw new ContainerException(WaitStatusText.Of(status) + output.Quote());
        }
    }
}
