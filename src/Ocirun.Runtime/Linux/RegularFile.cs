using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Ocirun.Runtime.Interop;
using static Ocirun.Runtime.Interop.Consts;

namespace Ocirun.Runtime.Linux;

/// <summary>
/// Reads documents the caller names (config.json, exec's process.json): only regular files.
/// A FIFO or a device in their place would block the runtime forever or feed it endless data.
/// </summary>
public static unsafe class RegularFile
{
    public static string ReadText(string path)
    {
        // O_NONBLOCK: opening a FIFO without a writer must not hang before it can be checked.
        int fd = Libc.open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC, 0);
        if (fd < 0)
        {
            throw LinuxException.Last($"open {path}");
        }
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        StatBuf st;
        if (Libc.fstat(fd, &st) < 0)
        {
            var e = LinuxException.Last($"stat {path}");
            handle.Dispose();
            throw e;
        }
        if ((st.Mode & S_IFMT) != S_IFREG)
        {
            handle.Dispose();
            throw new ContainerException($"{path}: not a regular file");
        }
        using var stream = new FileStream(handle, FileAccess.Read, 1);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    public static bool IsNotFound(Exception e) => e is LinuxException { Errno: ENOENT or ENOTDIR };
}
