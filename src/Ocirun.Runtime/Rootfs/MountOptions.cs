using static Ocirun.Runtime.Interop.Consts;

namespace Ocirun.Runtime.Rootfs;

/// <summary>A mount's options from config.json, split into what each mount(2) call needs.</summary>
public sealed record ParsedMountOptions(
    ulong Flags,
    ulong ClearedFlags,
    ulong Propagation,
    string Data,
    bool Bind,
    bool Recursive,
    bool RecursiveReadonly,
    bool TmpCopyUp)
{
    /// <summary>Flags that need a second, remounting call after a bind mount.</summary>
    public ulong BindRemountFlags => Flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
}

public static class MountOptions
{
    // Options that set a flag, and options that clear one (e.g. "rw" clears MS_RDONLY).
    private static readonly Dictionary<string, (bool Clear, ulong Flag)> FlagOptions = new()
    {
        ["ro"] = (false, MS_RDONLY), ["rw"] = (true, MS_RDONLY),
        ["nosuid"] = (false, MS_NOSUID), ["suid"] = (true, MS_NOSUID),
        ["nodev"] = (false, MS_NODEV), ["dev"] = (true, MS_NODEV),
        ["noexec"] = (false, MS_NOEXEC), ["exec"] = (true, MS_NOEXEC),
        ["sync"] = (false, MS_SYNCHRONOUS), ["async"] = (true, MS_SYNCHRONOUS),
        ["dirsync"] = (false, MS_DIRSYNC),
        ["remount"] = (false, MS_REMOUNT),
        ["mand"] = (false, MS_MANDLOCK), ["nomand"] = (true, MS_MANDLOCK),
        ["noatime"] = (false, MS_NOATIME), ["atime"] = (true, MS_NOATIME),
        ["nodiratime"] = (false, MS_NODIRATIME), ["diratime"] = (true, MS_NODIRATIME),
        ["relatime"] = (false, MS_RELATIME), ["norelatime"] = (true, MS_RELATIME),
        ["strictatime"] = (false, MS_STRICTATIME), ["nostrictatime"] = (true, MS_STRICTATIME),
        ["silent"] = (false, MS_SILENT), ["loud"] = (true, MS_SILENT),
        ["iversion"] = (false, MS_I_VERSION), ["noiversion"] = (true, MS_I_VERSION),
        ["lazytime"] = (false, MS_LAZYTIME), ["nolazytime"] = (true, MS_LAZYTIME),
        ["nosymfollow"] = (false, MS_NOSYMFOLLOW), ["symfollow"] = (true, MS_NOSYMFOLLOW),
    };

    private static readonly Dictionary<string, ulong> PropagationOptions = new()
    {
        ["private"] = MS_PRIVATE, ["rprivate"] = MS_PRIVATE | MS_REC,
        ["shared"] = MS_SHARED, ["rshared"] = MS_SHARED | MS_REC,
        ["slave"] = MS_SLAVE, ["rslave"] = MS_SLAVE | MS_REC,
        ["unbindable"] = MS_UNBINDABLE, ["runbindable"] = MS_UNBINDABLE | MS_REC,
    };

    /// <summary>Every option this runtime understands, for the features document.</summary>
    public static IEnumerable<string> Known =>
        FlagOptions.Keys.Concat(PropagationOptions.Keys).Concat(["bind", "rbind", "rro", "tmpcopyup"]).Order();

    public static ParsedMountOptions Parse(IEnumerable<string>? options)
    {
        ulong flags = 0, cleared = 0, propagation = 0;
        bool bind = false, rec = false, rro = false, copyUp = false;
        var data = new List<string>();
        foreach (var o in options ?? [])
        {
            if (FlagOptions.TryGetValue(o, out var f))
            {
                if (f.Clear)
                {
                    flags &= ~f.Flag;
                    cleared |= f.Flag;
                }
                else
                {
                    flags |= f.Flag;
                    cleared &= ~f.Flag;
                }
            }
            else if (PropagationOptions.TryGetValue(o, out var p))
            {
                propagation = p;
            }
            else if (o == "bind" || o == "rbind")
            {
                bind = true;
                rec |= o == "rbind";
            }
            else if (o == "rro")
            {
                rro = true;
            }
            else if (o == "tmpcopyup")
            {
                copyUp = true;
            }
            else
            {
                data.Add(o);
            }
        }
        if (bind)
        {
            flags |= MS_BIND | (rec ? MS_REC : 0);
        }
        return new ParsedMountOptions(flags, cleared, propagation, string.Join(",", data), bind, rec, rro, copyUp);
    }

    /// <summary>Parses rootfsPropagation; runc's default is rslave.</summary>
    public static ulong RootPropagation(string? value) =>
        string.IsNullOrEmpty(value) ? MS_SLAVE | MS_REC : PropagationOptions[value];
}
