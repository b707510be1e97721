using Ocirun.Runtime.Interop;
using static Ocirun.Runtime.Interop.Consts;

namespace Ocirun.Runtime.Linux;

/// <summary>
/// Work done inside one namespace of another process, on a thread of its own that joins it:
/// the runtime's other threads never leave theirs, and the thread ends (taking the namespace
/// with it) when the work is done.
/// </summary>
internal static class NamespaceThread
{
    public const int CloneNewNs = 0x20000, CloneNewNet = 0x40000000;
    public const int CloneFs = 0x200;

    /// <summary>
    /// Runs f in the namespace /proc/PID/ns/NAME (nstype its CLONE_NEW* flag). A mount
    /// namespace needs the thread's filesystem context (root, cwd) unshared first.
    /// </summary>
    public static T Run<T>(int pid, string name, int nstype, Func<T> f)
    {
        T? result = default;
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                if (nstype == CloneNewNs)
                {
                    LinuxException.Check(Libc.syscall(SYS_unshare, CloneFs, 0, 0, 0, 0), "unshare(CLONE_FS)");
                }
                using var ns = new Fd(Sys.Open($"/proc/{pid}/ns/{name}", O_RDONLY));
                LinuxException.Check(Libc.syscall(SYS_setns, ns.Value, nstype, 0, 0, 0), $"setns {name}");
                result = f();
            }
            catch (Exception e)
            {
                error = e;
            }
        });
        thread.Start();
        thread.Join();
        return error == null ? result! : throw error;
    }
}
