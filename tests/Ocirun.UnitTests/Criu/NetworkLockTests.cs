using Ocirun.Runtime.Criu;

namespace Ocirun.UnitTests.Criu;

public class NetworkLockTests
{
    private const string LoOnly = """
        Inter-|   Receive                                                |  Transmit
         face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
            lo:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0

        """;

    private const string WithVeth = """
        Inter-|   Receive                                                |  Transmit
         face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
            lo:     120       2    0    0    0     0          0         0      120       2    0    0    0     0       0          0
          eth0:    4242      21    0    0    0     0          0         0     1862      17    0    0    0     0       0          0
        """;

    [Fact]
    public void InterfacesAreTheNamesBeforeTheColons() =>
        Assert.Equal(["lo", "eth0"], NetworkLock.Interfaces(WithVeth));

    [Fact]
    public void AnEmptyNamespaceWithoutTcpNeedsNoLock()
    {
        Assert.False(NetworkLock.NeededForDump(tcpEstablished: false, configFile: false, NetworkLock.Interfaces(LoOnly)));
        Assert.False(NetworkLock.NeededForRestore(tcpEstablished: false, configFile: false));
    }

    [Fact]
    public void AnInterfaceToTheOutsideNeedsTheLockOnDump() =>
        Assert.True(NetworkLock.NeededForDump(tcpEstablished: false, configFile: false, NetworkLock.Interfaces(WithVeth)));

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void EstablishedConnectionsOrAConfigFileKeepTheLock(bool tcp, bool config)
    {
        Assert.True(NetworkLock.NeededForDump(tcp, config, NetworkLock.Interfaces(LoOnly)));
        Assert.True(NetworkLock.NeededForRestore(tcp, config));
    }

    [Fact]
    public void OnlyAnUnneededLockIsSkipped()
    {
        var skipped = new CriuOpts();
        NetworkLock.SkipUnlessNeeded(skipped, needed: false);
        Assert.Equal(CriuNetworkLockMethod.Skip, skipped.NetworkLock);
        var kept = new CriuOpts();
        NetworkLock.SkipUnlessNeeded(kept, needed: true);
        Assert.False(kept.HasNetworkLock);
    }
}
