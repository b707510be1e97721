using System.Buffers.Binary;
using Google.Protobuf;

namespace Ocirun.Runtime.Criu;

/// <summary>
/// CRIU's statistics files in the work dir (stats-dump, stats-restore; Podman's --print-stats).
/// Layout: the image-service magic and the stats magic (u32 LE each), the entry size (u32 LE),
/// then one StatsEntry. Times in the entries are microseconds.
/// </summary>
public static class CriuStats
{
    public const uint ServiceMagic = 0x55105940, StatsMagic = 0x57093306;
    public const string DumpFile = "stats-dump", RestoreFile = "stats-restore";
    private const int HeaderSize = 12;

    public static StatsEntry Parse(ReadOnlySpan<byte> data)
    {
        if (data.Length < HeaderSize || BinaryPrimitives.ReadUInt32LittleEndian(data) != ServiceMagic
            || BinaryPrimitives.ReadUInt32LittleEndian(data[4..]) != StatsMagic)
        {
            throw new InvalidDataException("not a CRIU stats file (bad magic)");
        }
        uint size = BinaryPrimitives.ReadUInt32LittleEndian(data[8..]);
        if (size > data.Length - HeaderSize)
        {
            throw new InvalidDataException($"CRIU stats file truncated: entry of {size} bytes, {data.Length - HeaderSize} present");
        }
        try
        {
            return StatsEntry.Parser.ParseFrom(data.Slice(HeaderSize, (int)size));
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"CRIU stats entry: {e.Message}", e);
        }
    }

    /// <summary>workDir/stats-dump, or null when CRIU wrote none.</summary>
    public static DumpStatsEntry? ReadDump(string workDir) => Read(workDir, DumpFile)?.Dump;

    /// <summary>workDir/stats-restore, or null when CRIU wrote none.</summary>
    public static RestoreStatsEntry? ReadRestore(string workDir) => Read(workDir, RestoreFile)?.Restore;

    private static StatsEntry? Read(string workDir, string name)
    {
        var path = Path.Combine(workDir, name);
        return File.Exists(path) ? Parse(File.ReadAllBytes(path)) : null;
    }
}
