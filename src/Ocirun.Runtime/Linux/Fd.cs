using System.Runtime.InteropServices;
using Ocirun.Runtime.Interop;

namespace Ocirun.Runtime.Linux;

/// <summary>
/// A file descriptor this process owns: closed once, when disposed (or, if a path forgot to,
/// when collected); -1 holds nothing. <see cref="Take"/> hands it to whoever closes it next.
/// </summary>
public sealed class Fd : SafeHandle
{
    public Fd(int value) : base(-1, ownsHandle: true) => SetHandle(value);

    /// <summary>The descriptor number, for calls that use it without taking it.</summary>
    public int Value => IsClosed ? -1 : (int)handle;

    public override bool IsInvalid => handle == -1;

    /// <summary>Gives the descriptor away (a child's copy, a list that closes it later): this no longer closes it.</summary>
    public int Take()
    {
        int v = Value;
        SetHandleAsInvalid();
        return v;
    }

    protected override bool ReleaseHandle() => Libc.close((int)handle) == 0;
}

/// <summary>Descriptors closed together, at the end of a using block, whichever way it ends.</summary>
public sealed class FdSet : IDisposable
{
    private readonly List<Fd> _fds = [];

    /// <summary>Owns fd from now on and returns its number.</summary>
    public int Add(int fd)
    {
        _fds.Add(new Fd(fd));
        return fd;
    }

    public void Dispose()
    {
        foreach (var fd in _fds)
        {
            fd.Dispose();
        }
        _fds.Clear();
    }
}
