using System.Net.Sockets;
using Ocirun.Runtime.Linux;

namespace Ocirun.IntegrationTests.Harness;

/// <summary>
/// A unix socket listener that takes one fd passed by SCM_RIGHTS, as engines listen on
/// --console-socket and --pidfd-socket.
/// </summary>
public sealed class FdReceiver : IDisposable
{
    private readonly Socket _listener = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    private readonly Task<Socket> _accept;

    public FdReceiver(string path)
    {
        Path = path;
        _listener.Bind(new UnixDomainSocketEndPoint(path));
        _listener.Listen(1);
        _accept = _listener.AcceptAsync();
    }

    public string Path { get; }

    /// <summary>The fd (the caller owns it) and the name sent with it.</summary>
    public (int Fd, string Name) Receive()
    {
        if (!_accept.Wait(TimeSpan.FromSeconds(10)))
        {
            throw new Xunit.Sdk.XunitException($"nothing connected to {Path}");
        }
        using var conn = _accept.Result;
        return FdPassing.Receive((int)conn.Handle);
    }

    public void Dispose()
    {
        _listener.Dispose();
        File.Delete(Path);
    }
}
