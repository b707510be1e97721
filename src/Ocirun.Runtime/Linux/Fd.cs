using Ocirun.Runtime.Interop;

namespace Ocirun.Runtime.Linux;

/// <summary>Closes an fd at the end of a using block; -1 holds nothing.</summary>
internal readonly struct Fd(int value) : IDisposable
{
    public int Value { get; } = value;

    public void Dispose()
    {
        if (Value >= 0)
        {
            Libc.close(Value);
        }
    }
}
