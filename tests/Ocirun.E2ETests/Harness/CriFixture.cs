namespace Ocirun.E2ETests.Harness;

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
