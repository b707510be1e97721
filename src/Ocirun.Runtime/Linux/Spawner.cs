using System.Text;
using Ocirun.Runtime.Interop;

namespace Ocirun.Runtime.Linux;

/// <summary>Starts a program with posix_spawn: an exact fd map, default signal dispositions.</summary>
internal static unsafe class Spawner
{
    private const short POSIX_SPAWN_SETSIGDEF = 0x04, POSIX_SPAWN_SETSIGMASK = 0x08;

    // glibc's sigset_t: 1024 bits.
    private const int SigsetWords = 16;

    /// <summary>
    /// Spawns path with argv and envp. fdMap lists (source fd, fd in the child); every other fd
    /// the runtime opened is close-on-exec, and the caller's fds 0-2 are passed unchanged.
    /// closeFrom closes every fd from that number up in the child as well, for programs that
    /// must not see what the caller inherited (hooks). closeInherited closes, in the child,
    /// every fd above 2 that this process inherited open across exec and the map does not name
    /// (fds the runtime opened itself are close-on-exec and may still be needed for the exec).
    /// </summary>
    public static int Spawn(string path, IReadOnlyList<string> argv, IReadOnlyList<string> envp,
        IReadOnlyList<(int Source, int Target)> fdMap, int? closeFrom = null, bool closeInherited = false)
    {
        // glibc's posix_spawn_file_actions_t and posix_spawnattr_t are well below these sizes.
        byte* fa = stackalloc byte[512];
        byte* attr = stackalloc byte[1024];
        Check(Libc.posix_spawn_file_actions_init(fa), "posix_spawn_file_actions_init");
        Check(Libc.posix_spawnattr_init(attr), "posix_spawnattr_init");
        try
        {
            foreach (var (src, dst) in fdMap)
            {
                Check(Libc.posix_spawn_file_actions_adddup2(fa, src, dst), "posix_spawn_file_actions_adddup2");
            }
            if (closeInherited)
            {
                foreach (var fd in InheritedFds().Where(fd => fdMap.All(m => m.Target != fd)))
                {
                    Check(Libc.posix_spawn_file_actions_addclose(fa, fd), "posix_spawn_file_actions_addclose");
                }
            }
            if (closeFrom is { } low)
            {
                Check(Libc.posix_spawn_file_actions_addclosefrom_np(fa, low), "posix_spawn_file_actions_addclosefrom_np");
            }
            // .NET ignores SIGPIPE and handles others; the child must start with the defaults.
            // glibc copies a whole sigset_t (1024 bits), so both sets are that size.
            ulong* all = stackalloc ulong[SigsetWords], none = stackalloc ulong[SigsetWords];
            new Span<ulong>(all, SigsetWords).Fill(ulong.MaxValue);
            new Span<ulong>(none, SigsetWords).Clear();
            Check(Libc.posix_spawnattr_setsigdefault(attr, all), "posix_spawnattr_setsigdefault");
            Check(Libc.posix_spawnattr_setsigmask(attr, none), "posix_spawnattr_setsigmask");
            Check(Libc.posix_spawnattr_setflags(attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK),
                "posix_spawnattr_setflags");
            using var cargs = new CStringArray(argv);
            using var cenv = new CStringArray(envp);
            int pid;
            fixed (byte* p = Sys.CString(path))
            {
                int r = Libc.posix_spawn(&pid, p, fa, attr, cargs.Pointer, cenv.Pointer);
                if (r != 0)
                {
                    throw new LinuxException($"spawn {path}", r);
                }
            }
            return pid;
        }
        finally
        {
            Libc.posix_spawn_file_actions_destroy(fa);
            Libc.posix_spawnattr_destroy(attr);
        }
    }

    /// <summary>This process's fds above 2 without close-on-exec: what its caller left open.</summary>
    private static List<int> InheritedFds()
    {
        var fds = new List<int>();
        foreach (var entry in Directory.EnumerateFiles("/proc/self/fd"))
        {
            if (int.TryParse(Path.GetFileName(entry), out var fd) && fd > 2
                && Libc.fcntl(fd, Interop.Consts.F_GETFD, 0) is var flags and >= 0 && (flags & Interop.Consts.FD_CLOEXEC) == 0)
            {
                fds.Add(fd);
            }
        }
        return fds;
    }

    private static void Check(int r, string what)
    {
        if (r != 0)
        {
            throw new LinuxException(what, r);
        }
    }
}

/// <summary>A NULL-terminated char*[] in unmanaged memory, for exec and spawn.</summary>
internal sealed unsafe class CStringArray : IDisposable
{
    private readonly nint[] _strings;

    public CStringArray(IReadOnlyList<string> items)
    {
        _strings = new nint[items.Count];
        Pointer = (byte**)System.Runtime.InteropServices.NativeMemory.Alloc((nuint)(items.Count + 1), (nuint)sizeof(nint));
        for (int i = 0; i < items.Count; i++)
        {
            var bytes = Sys.CString(items[i]);
            var mem = (byte*)System.Runtime.InteropServices.NativeMemory.Alloc((nuint)bytes.Length);
            bytes.CopyTo(new Span<byte>(mem, bytes.Length));
            _strings[i] = (nint)mem;
            Pointer[i] = mem;
        }
        Pointer[items.Count] = null;
    }

    public byte** Pointer { get; }

    public void Dispose()
    {
        foreach (var s in _strings)
        {
            System.Runtime.InteropServices.NativeMemory.Free((void*)s);
        }
        System.Runtime.InteropServices.NativeMemory.Free(Pointer);
    }
}
