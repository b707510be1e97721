using System.Collections;
using System.Runtime.ExceptionServices;
using Google.Protobuf;
using Ocirun.Runtime.Interop;
using Ocirun.Runtime.Linux;
using static Ocirun.Runtime.Interop.Consts;

namespace Ocirun.Runtime.Criu;

/// <summary>
/// One `criu swrk 3` worker and the conversation with it. CRIU serves one request per worker
/// (DUMP/RESTORE close the socket after answering), except that a request marked keep_open
/// leaves the worker waiting for the next: the version is asked that way, on the worker that
/// then dumps or restores, instead of on a worker of its own (one process start less).
/// </summary>
public sealed class CriuSwrk : IDisposable
{
    private const int SwrkFd = 3;
    private int _sock;
    private int? _status;
    private bool _asked;
    private readonly CriuKdatCache? _kdat;

    private CriuSwrk(int sock, int pid, CriuKdatCache? kdat)
    {
        _sock = sock;
        Pid = pid;
        _kdat = kdat;
    }

    /// <summary>The worker's pid, e.g. to move it into a cgroup before a RESTORE request.</summary>
    public int Pid { get; }

    /// <summary>
    /// Starts the worker. extraFds maps runtime fds to CRIU's own fd numbers (0-2 for its stdio,
    /// 4 and up for inherit_fd); fds the map does not name stay closed in CRIU, because the
    /// runtime opens everything close-on-exec.
    /// </summary>
    public static CriuSwrk Start(string criuPath, IReadOnlyList<(int Source, int Target)>? extraFds = null)
    {
        extraFds ??= [];
        if (extraFds.Any(m => m.Target is < 0 or SwrkFd or CriuKdatCache.FdInCriu) || extraFds.DistinctBy(m => m.Target).Count() != extraFds.Count)
        {
            throw new ArgumentException($"criu fd targets must be distinct, >= 0 and neither {SwrkFd} nor {CriuKdatCache.FdInCriu}", nameof(extraFds));
        }
        var kdat = CriuKdatCache.For(criuPath, WorkerEnvironment);
        if (kdat is { Fd: >= 0 })
        {
            extraFds = [.. extraFds, (kdat.Fd, CriuKdatCache.FdInCriu)];
        }
        var (client, server) = Sys.SocketPair(SOCK_SEQPACKET);
        // posix_spawn applies the dup2s in order, so a source that is also some other mapping's
        // target would be overwritten first; copies above every target cannot be.
        int floor = Math.Max(SwrkFd, extraFds.Select(m => m.Target).DefaultIfEmpty(0).Max()) + 1;
        var copies = new List<int>();
        try
        {
            var map = new List<(int, int)> { (Copy(server, floor, copies), SwrkFd) };
            map.AddRange(extraFds.Select(m => (Copy(m.Source, floor, copies), m.Target)));
            int pid = Spawner.Spawn(criuPath, [criuPath, "swrk", SwrkFd.ToString()], WorkerEnvironment(), map);
            return new CriuSwrk(client, pid, kdat);
        }
        catch
        {
            Sys.Close(client);
            kdat?.Finish();
            throw;
        }
        finally
        {
            // Only CRIU may hold the server end: if it dies, the client then reads EOF instead of hanging.
            Sys.Close(server);
            copies.ForEach(Sys.Close);
        }
    }

    /// <summary>
    /// Sends req and answers CRIU's NOTIFY callbacks until the final response, which is returned
    /// whether or not it reports success. onNotify gets (script, pid or 0, fd sent with the
    /// notify); its result is the script's success. The fd is closed when it returns (dup it to
    /// keep it). If it throws, CRIU is told the script failed and the exception is rethrown
    /// once CRIU has answered.
    /// </summary>
    public CriuResp Call(CriuReq req, Func<string, int, int?, bool>? onNotify = null)
    {
        Send(req, req.Type);
        ExceptionDispatchInfo? callbackError = null;
        while (true)
        {
            var (data, fd) = CriuSocket.Receive(_sock);
            if (data == null)
            {
                throw Died(req.Type);
            }
            CriuResp resp;
            try
            {
                resp = Decode(data);
                if (resp.Type != CriuReqType.Notify)
                {
                    callbackError?.Throw();
                    return resp.Type == req.Type ? resp : throw Rejected(req.Type, resp);
                }
                bool ok = true;
                if (onNotify != null && callbackError == null)
                {
                    try
                    {
                        ok = onNotify(resp.Notify?.Script ?? "", resp.Notify?.Pid ?? 0, fd);
                    }
                    catch (Exception e)
                    {
                        callbackError = ExceptionDispatchInfo.Capture(e);
                        ok = false;
                    }
                }
                Send(new CriuReq { Type = CriuReqType.Notify, NotifySuccess = ok }, req.Type);
            }
            finally
            {
                Sys.Close(fd ?? -1);
            }
        }
    }

    /// <summary>
    /// The worker's version, refused by <see cref="CriuVersionGate"/> when too old; the worker
    /// stays open for the request that follows.
    /// </summary>
    public CriuVersionNumber GatedVersion()
    {
        var resp = Call(new CriuReq { Type = CriuReqType.Version, KeepOpen = true });
        var version = resp.Success && resp.Version != null
            ? CriuVersionNumber.From(resp.Version)
            : throw new ContainerException($"criu swrk (pid {Pid}) did not report its version");
        CriuVersionGate.Check(version);
        return version;
    }

    /// <summary>Closes the socket (CRIU exits on EOF) and reaps the worker; returns its exit code.</summary>
    public int Wait()
    {
        if (!_asked && _status == null)
        {
            // A worker started ahead and never needed (the command failed first, or another
            // worker took its place) has nothing to finish: killed, it does not report a socket
            // closed under it on the caller's stderr.
            Libc.kill(Pid, SIGKILL);
        }
        Sys.Close(_sock);
        _sock = -1;
        if (_status == null)
        {
            _status = Sys.WaitPid(Pid);
            _kdat?.Finish();
        }
        return Sys.ExitCodeOf(_status.Value);
    }

    public void Dispose() => Wait();

    internal static CriuResp Decode(byte[] data)
    {
        try
        {
            return CriuResp.Parser.ParseFrom(data);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new ContainerException($"criu sent a message ocirun cannot decode: {e.Message}");
        }
    }

    private void Send(CriuReq msg, CriuReqType during)
    {
        _asked = true;
        if (!CriuSocket.Send(_sock, msg.ToByteArray()))
        {
            throw Died(during);
        }
    }

    private ContainerException Died(CriuReqType during) =>
        new($"criu swrk (pid {Pid}) exited with status {Wait()} without answering the {during} request");

    private static ContainerException Rejected(CriuReqType sent, CriuResp resp) =>
        new($"criu rejected the {sent} request (answered {resp.Type}, errno {resp.CrErrno})");

    private static int Copy(int fd, int floor, List<int> copies)
    {
        int c = LinuxException.Check(Libc.fcntl(fd, F_DUPFD_CLOEXEC, floor), $"dup fd {fd} for criu");
        copies.Add(c);
        return c;
    }

    /// <summary>
    /// The runtime's environment, with a standard PATH when it has none: Podman runs checkpoint
    /// with almost no environment, and CRIU execs iptables-restore, ip and tar by name.
    /// </summary>
    internal static List<string> WorkerEnvironment()
    {
        var env = new List<string>();
        foreach (DictionaryEntry e in Environment.GetEnvironmentVariables())
        {
            if ((string)e.Key != "PATH")
            {
                env.Add($"{e.Key}={e.Value}");
            }
        }
        var path = Environment.GetEnvironmentVariable("PATH");
        env.Add("PATH=" + (string.IsNullOrEmpty(path) ? CriuLocator.StandardPath : path));
        return env;
    }
}
