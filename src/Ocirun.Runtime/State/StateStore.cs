using System.Text.Json;
using Ocirun.Runtime.Interop;
using Ocirun.Runtime.Linux;
using static Ocirun.Runtime.Interop.Consts;

namespace Ocirun.Runtime.State;

/// <summary>The state root (--root): one directory per container holding state.bin and exec.fifo.</summary>
public sealed class StateStore(string root)
{
    public const string RecordFile = "state.bin", FifoFile = "exec.fifo";

    /// <summary>The record as an ocirun before state.bin wrote it, still read.</summary>
    public const string StateFile = "state.json";

    public string Root { get; } = root;

    public string Dir(string id) => Path.Combine(Root, id);

    public string FifoPath(string id) => Path.Combine(Dir(id), FifoFile);

    /// <summary>Where a restore mounts the rootfs for CRIU, inside the state directory.</summary>
    public string CriuRootPath(string id) => Path.Combine(Dir(id), "criu-root");

    public string CgroupYardPath(string id) => Path.Combine(Dir(id), "criu-cgroup-yard");

    public string CriuEmptyMaskPath(string id) => Path.Combine(Dir(id), "criu-empty-mask");

    public string TmpfsCopiesPath(string id) => Path.Combine(Dir(id), "criu-tmpfs-copies");

    /// <summary>runc's rule: letters, digits and _ + - . only, and not "." or "..".</summary>
    private static bool IsValidId(string id) =>
        id.Length > 0 && id != "." && id != ".." && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '+' or '-' or '.');

    public static void ValidateId(string id)
    {
        if (!IsValidId(id))
        {
            throw new ContainerException("invalid container ID format: " + id);
        }
    }

    /// <summary>Creates the container's directory; fails if the id is taken.</summary>
    public void CreateDir(string id)
    {
        ValidateId(id);
        try
        {
            Directory.CreateDirectory(Root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            if (Libc.mkdirat(AT_FDCWD, Dir(id), 0x1c9 /* 0711 */) < 0)
            {
                var e = LinuxException.Last("mkdir " + Dir(id));
                throw e.Errno == EEXIST ? new ContainerException("container with given ID already exists") : e;
            }
        }
        catch (LinuxException e)
        {
            throw new ContainerException(e.Message);
        }
    }

    /// <summary>
    /// The container's record: state.bin (<see cref="RecordCodec"/>), or the state.json an ocirun
    /// before it wrote, for a container made before an upgrade; null when there is neither.
    /// </summary>
    public ContainerRecord? Load(string id)
    {
        ValidateId(id);
        if (LoadFile(id, RecordFile) is { } data)
        {
            try
            {
                return RecordCodec.Decode(data) is var r && r.Id == id ? r
                    : throw new ContainerException($"container {id}: {RecordFile} is another container's");
            }
            catch (InvalidDataException e)
            {
                throw new ContainerException($"container {id}: unreadable {RecordFile}: {e.Message}");
            }
        }
        return LoadJson(id);
    }

    private ContainerRecord? LoadJson(string id)
    {
        string text;
        try
        {
            text = File.ReadAllText(Path.Combine(Dir(id), StateFile));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        ContainerRecord? record;
        try
        {
            record = JsonSerializer.Deserialize(text, StateJsonContext.Default.ContainerRecord);
        }
        catch (JsonException e)
        {
            throw new ContainerException($"container {id}: unreadable {StateFile}: {Spec.SpecJson.Describe(e)}", inner: e);
        }
        // Another runtime's state (runc's, say) parses too, into a record without our fields.
        return record is { Bundle.Length: > 0 } && record.Id == id ? record
            : throw new ContainerException($"container {id}: {StateFile} was not written by ocirun");
    }

    /// <summary>Writes state.bin atomically: a crash leaves the old file or the new one.</summary>
    public void Save(ContainerRecord record)
    {
        SaveFile(record.Id, RecordFile, RecordCodec.Encode(record));
        // A container from before the upgrade is in state.bin from now on.
        File.Delete(Path.Combine(Dir(record.Id), StateFile));
    }

    /// <summary>Writes a file of the container's state atomically (renamed into place).</summary>
    public void SaveFile(string id, string name, byte[] data)
    {
        var tmp = Path.Combine(Dir(id), "." + name + ".tmp");
        File.WriteAllBytes(tmp, data);
        File.Move(tmp, Path.Combine(Dir(id), name), overwrite: true);
    }

    /// <summary>A file of the container's state, or null where there is none.</summary>
    public byte[]? LoadFile(string id, string name)
    {
        try
        {
            return File.ReadAllBytes(Path.Combine(Dir(id), name));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    public void Remove(string id)
    {
        var dir = Dir(id);
        if (Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Who owns the container's state directory: `list` shows it as runc does.</summary>
    public unsafe uint OwnerOf(string id)
    {
        StatBuf st;
        return Libc.stat(Dir(id), &st) == 0 ? st.Uid : 0;
    }

    public IEnumerable<string> Ids()
    {
        if (!Directory.Exists(Root))
        {
            return [];
        }
        return Directory.EnumerateDirectories(Root).Select(Path.GetFileName).OfType<string>()
            .Where(IsValidId).Order(StringComparer.Ordinal);
    }

    /// <summary>
    /// Takes an exclusive lock on the container directory, so that concurrent commands on one
    /// id run one after another. Returns null when the directory does not exist.
    /// </summary>
    public ContainerLock? Lock(string id)
    {
        int fd = Libc.open(Dir(id), O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
        if (fd < 0)
        {
            return null;
        }
        while (Libc.flock(fd, LOCK_EX) < 0)
        {
            if (System.Runtime.InteropServices.Marshal.GetLastPInvokeError() != EINTR)
            {
                throw LinuxException.LastClosing(fd, "flock " + Dir(id));
            }
        }
        return new ContainerLock(fd);
    }
}

/// <summary>The container directory's flock, held until disposed.</summary>
public sealed class ContainerLock(int fd) : IDisposable
{
    private readonly Fd _fd = new(fd);

    public void Dispose() => _fd.Dispose();
}
