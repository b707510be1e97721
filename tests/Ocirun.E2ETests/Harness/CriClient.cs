using System.Net.Sockets;
using Grpc.Net.Client;

namespace Ocirun.E2ETests.Harness;

/// <summary>
/// What the kubelet does: CRI's RuntimeService over gRPC on containerd's unix socket
/// (HTTP/2 without TLS, as every CRI runtime serves it).
/// </summary>
public sealed class CriClient : IDisposable
{
    private readonly GrpcChannel _channel;

    public CriClient(string socket)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancel) =>
            {
                var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await s.ConnectAsync(new UnixDomainSocketEndPoint(socket), cancel);
                    return new NetworkStream(s, ownsSocket: true);
                }
                catch
                {
                    s.Dispose();
                    throw;
                }
            },
        };
        _channel = GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions { HttpHandler = handler });
        Runtime = new Cri.V1.RuntimeService.RuntimeServiceClient(_channel);
    }

    public Cri.V1.RuntimeService.RuntimeServiceClient Runtime { get; }

    public void Dispose() => _channel.Dispose();
}
