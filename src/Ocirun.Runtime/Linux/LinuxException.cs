using System.Runtime.InteropServices;

namespace Ocirun.Runtime.Linux;

/// <summary>A failed system call: the call, what it acted on and errno.</summary>
public sealed class LinuxException(string operation, int errno)
    : Exception($"{operation}: {ErrnoText(errno)}")
{
    public int Errno { get; } = errno;

    public static LinuxException Last(string operation) => new(operation, Marshal.GetLastPInvokeError());

    public static string ErrnoText(int errno) => Marshal.GetPInvokeErrorMessage(errno).ToLowerInvariant();

    /// <summary>Throws for a -1 result, retrying is the caller's business.</summary>
    public static int Check(int result, string operation) => result < 0 ? throw Last(operation) : result;

    public static long Check(long result, string operation) => result < 0 ? throw Last(operation) : result;
}
