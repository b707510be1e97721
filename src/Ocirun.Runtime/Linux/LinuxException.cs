using System.Runtime.InteropServices;
using Ocirun.Runtime.Interop;

namespace Ocirun.Runtime.Linux;

/// <summary>A failed system call: the call, what it acted on and errno.</summary>
public sealed class LinuxException(string operation, int errno)
    : Exception($"{operation}: {ErrnoText(errno)}")
{
    public int Errno { get; } = errno;

    public static LinuxException Last(string operation) => new(operation, Marshal.GetLastPInvokeError());

    /// <summary>
    /// The failed call's errno, taken before fd is closed: close(2), a P/Invoke of its own,
    /// would otherwise replace it (with 0 on success, reported as "success").
    /// </summary>
    public static LinuxException LastClosing(int fd, string operation)
    {
        var e = Last(operation);
        Libc.close(fd);
        return e;
    }

    public static string ErrnoText(int errno) => Marshal.GetPInvokeErrorMessage(errno).ToLowerInvariant();

    /// <summary>Throws for a -1 result, retrying is the caller's business.</summary>
    public static int Check(int result, string operation) => result < 0 ? throw Last(operation) : result;

    public static long Check(long result, string operation) => result < 0 ? throw Last(operation) : result;
}
