using System.Buffers.Binary;
using System.Text;

namespace Ocirun.Runtime.Sync;

/// <summary>Builds the bootstrap frame the native stage reads: which namespaces to join and create.</summary>
public sealed class Bootstrap
{
    public ulong UnshareFlags { get; set; }
    public List<(ulong CloneFlag, string Path)> Joins { get; } = new();
    public string? TimensOffsets { get; set; }

    public byte[] Encode()
    {
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
            Record(buf, BootRecord.TimensOffsets, Encoding.UTF8.GetBytes(TimensOffsets + "\0"));
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
