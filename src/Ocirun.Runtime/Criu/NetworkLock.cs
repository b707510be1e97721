namespace Ocirun.Runtime.Criu;

/// <summary>
/// Whether CRIU must lock the container's network. CRIU locks a dumped network namespace with
/// iptables-restore (IPv4 and IPv6); because the namespace is restored empty (empty_ns, as runc
/// restores it), it installs the same rules again on restore and removes them at the end: up to
/// nine runs of iptables tools, about 17 ms of a dump and 50 ms of a restore here, while the
/// container is frozen. The rules keep packets away from the TCP connections CRIU dumps and
/// repairs, and keep connections from being made while the namespace is dumped. Neither can
/// happen without --tcp-established (CRIU then refuses to dump or restore a connection) when
/// nothing outside can reach the namespace: only lo in it, and every process in it frozen.
/// A CRIU configuration file may turn tcp-established on behind the request's back, so with
/// one the lock stays.
/// </summary>
public static class NetworkLock
{
    /// <summary>Dump: needed for established connections, or when any interface but lo lets the outside in.</summary>
    public static bool NeededForDump(bool tcpEstablished, bool configFile, IEnumerable<string> interfaces) =>
        tcpEstablished || configFile || interfaces.Any(i => i != "lo");

    /// <summary>Restore: the namespace comes back empty, so the rules only guard the connections CRIU repairs.</summary>
    public static bool NeededForRestore(bool tcpEstablished, bool configFile) => tcpEstablished || configFile;

    /// <summary>The interface names in /proc/PID/net/dev (two header lines, then "name: counters").</summary>
    public static List<string> Interfaces(string procNetDev) =>
        procNetDev.Split('\n').Skip(2).Select(l => l.Split(':', 2)).Where(p => p.Length == 2).Select(p => p[0].Trim()).ToList();

    /// <summary>Sets opts.NetworkLock to SKIP when the lock is not needed; otherwise leaves CRIU's default.</summary>
    public static void SkipUnlessNeeded(CriuOpts opts, bool needed)
    {
        if (!needed)
        {
            opts.NetworkLock = CriuNetworkLockMethod.Skip;
        }
    }
}
