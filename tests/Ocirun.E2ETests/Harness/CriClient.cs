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

/// <summary>containerd with its CRI plugin on (see <see cref="CriPlugin"/>), and a CRI client of it.</summary>
public sealed class CriFixture : ContainerdFixture
{
    public CriFixture() : base(cri: true)
    {
        Client = new CriClient(Socket);
    }

    public CriClient Client { get; }

    protected override void BeforeDaemonStops()
    {
        // What a failed test left: every pod of this daemon, stopped and removed as the kubelet would.
        foreach (var pod in Client.Runtime.ListPodSandbox(new Cri.V1.ListPodSandboxRequest()).Items)
        {
            Client.Runtime.StopPodSandbox(new Cri.V1.StopPodSandboxRequest { PodSandboxId = pod.Id });
            Client.Runtime.RemovePodSandbox(new Cri.V1.RemovePodSandboxRequest { PodSandboxId = pod.Id });
        }
        Client.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class CriCollection : ICollectionFixture<CriFixture>
{
    public const string Name = "cri";
}
