using System.Buffers.Binary;
using System.Text;
using Ocirun.Runtime.Linux;

namespace Ocirun.Runtime.Sync;

/// <summary>
/// Builds the bootstrap frame the native stage reads: which cgroups to join, which namespaces
/// to join and create.
/// </summary>
public sealed class Bootstrap
{
    public ulong UnshareFlags { get; set; }
    public List<(ulong CloneFlag, string Path)> Joins { get; } = new();
    public string? TimensOffsets { get; set; }
    /// <summary>The `tasks` file of the container's cgroup in each v1 hierarchy.</summary>
    public List<string> CgroupV1Tasks { get; } = new();
    /// <summary>The container's cgroup2 directory, where the init is cloned into.</summary>
    public string? CgroupV2Dir { get; set; }

    /// <summary>The native stage's limit per kind of record (OCIRUN_MAX_RECORDS).</summary>
    public const int MaxRecords = 16;

    public byte[] Encode()
    {
        if (Joins.Count > MaxRecords || CgroupV1Tasks.Count > MaxRecords)
        {
            throw new ContainerException($"at most {MaxRecords} namespaces to join and {MaxRecords} cgroup v1 hierarchies are supported");
        }
        var buf = new List<byte>();
        Span<byte> u64 = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(u64, UnshareFlags);
        Record(buf, BootRecord.Unshare, u64.ToArray());
        foreach (var (flag, path) in Joins)
        {
            var rec = new byte[4 + Encoding.UTF8.GetByteCount(path) + 1];
            BinaryPrimitives.WriteUInt32LittleEndian(rec, (uint)flag);
            Encoding.UTF8.GetBytes(path, rec.AsSpan(4));
            Record(buf, BootRecord.Join, rec);
        }
        if (TimensOffsets != null)
        {
            Record(buf, BootRecord.TimensOffsets, Sys.CString(TimensOffsets));
        }
        foreach (var tasks in CgroupV1Tasks)
        {
            Record(buf, BootRecord.CgroupV1Tasks, Sys.CString(tasks));
        }
        if (CgroupV2Dir != null)
        {
            Record(buf, BootRecord.CgroupV2Dir, Sys.CString(CgroupV2Dir));
        }
        return buf.ToArray();
    }

    private static void Record(List<byte> buf, BootRecord key, byte[] value)
    {
        Span<byte> hdr = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(hdr, (uint)key);
        BinaryPrimitives.WriteUInt32LittleEndian(hdr[4..], (uint)value.Length);
        buf.AddRange(hdr.ToArray());
        buf.AddRange(value);
    }
}
