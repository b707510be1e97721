namespace Ocirun.Runtime.Criu;

/// <summary>The requests ocirun makes of one criu executable, each on its own swrk worker.</summary>
public sealed class CriuClient(string criuPath)
{
    public string CriuPath { get; } = criuPath;

    /// <summary>A worker for a request that needs set-up between start and request (cgroups on restore).</summary>
    public CriuSwrk Start(IReadOnlyList<(int Source, int Target)>? extraFds = null) => CriuSwrk.Start(CriuPath, extraFds);

    /// <summary>Runs one request to its final response; see <see cref="CriuSwrk.Call"/>.</summary>
    public CriuResp Call(CriuReq req, Func<string, int, int?, bool>? onNotify = null,
        IReadOnlyList<(int Source, int Target)>? extraFds = null)
    {
        using var worker = Start(extraFds);
        return worker.Call(req, onNotify);
    }

    /// <summary>The version on a worker of its own (`ocirun check`); see <see cref="CriuSwrk.GatedVersion"/>.</summary>
    public CriuVersionNumber Version()
    {
        var resp = Call(new CriuReq { Type = CriuReqType.Version });
        return resp.Success && resp.Version != null
            ? CriuVersionNumber.From(resp.Version)
            : throw new ContainerException($"{CriuPath} did not report its version");
    }

    /// <summary>`criu check`: whether CRIU finds what it needs in this kernel. Its "Looks good." goes to /dev/null.</summary>
    public bool Check()
    {
        using var devNull = new Linux.Fd(Linux.Sys.Open("/dev/null", Interop.Consts.O_WRONLY));
        return Call(new CriuReq { Type = CriuReqType.Check }, extraFds: [(devNull.Value, 1)]).Success;
    }

    /// <summary>
    /// Asks whether this kernel/CRIU pair supports the given features. The answer carries every
    /// feature; unrequested ones read false.
    /// </summary>
    public CriuFeatures FeatureCheck(bool memTrack, bool lazyPages, bool pidfdStore = false)
    {
        var features = new CriuFeatures { MemTrack = memTrack, LazyPages = lazyPages };
        if (pidfdStore)
        {
            features.PidfdStore = true;
        }
        var resp = Call(new CriuReq { Type = CriuReqType.FeatureCheck, Features = features });
        return resp.Success && resp.Features != null
            ? resp.Features
            : throw new ContainerException($"{CriuPath}: feature check failed (errno {resp.CrErrno})");
    }
}
