using Google.Protobuf;
using Ocirun.Runtime.Criu;

namespace Ocirun.UnitTests.Criu;

public class CriuStatsTests
{
    // Image-service magic, stats magic (both little-endian), then the entry size.
    private static byte[] File(byte[] entry) =>
        [0x40, 0x59, 0x10, 0x55, 0x06, 0x33, 0x09, 0x57, .. BitConverter.GetBytes((uint)entry.Length), .. entry];

    [Fact]
    public void RestoreEntryFromHandEncodedBytes()
    {
        // stats_entry{restore(2){pages_compared 0, pages_skipped_cow 0, forking_time 7, restore_time 9}}
        var s = CriuStats.Parse(File(Convert.FromHexString("1208" + "0800" + "1000" + "1807" + "2009")));
        Assert.Null(s.Dump);
        Assert.Equal((7u, 9u, false), (s.Restore.ForkingTime, s.Restore.RestoreTime, s.Restore.HasPagesRestored));
    }

    [Fact]
    public void DumpEntry()
    {
        var entry = new StatsEntry
        {
            Dump = new DumpStatsEntry
            {
                FreezingTime = 1500, FrozenTime = 20000, MemdumpTime = 300, MemwriteTime = 400,
                PagesScanned = 100, PagesSkippedParent = 0, PagesWritten = 60, PagesLazy = 0, ShpagesWritten = 3,
            },
        }.ToByteArray();
        Assert.Equal(0x0a, entry[0]); // field 1 (dump), length-delimited
        var d = CriuStats.Parse([.. File(entry), 0xee, 0xee]).Dump; // bytes after the entry are not part of it
        Assert.Equal((1500u, 20000u, 300u, 400u), (d.FreezingTime, d.FrozenTime, d.MemdumpTime, d.MemwriteTime));
        Assert.Equal((100ul, 60ul, 3ul), (d.PagesScanned, d.PagesWritten, d.ShpagesWritten));
    }

    [Fact]
    public void ReadsFromWorkDir()
    {
        var dir = Directory.CreateTempSubdirectory("criu-stats-").FullName;
        try
        {
            System.IO.File.WriteAllBytes(Path.Combine(dir, CriuStats.RestoreFile), File(Convert.FromHexString("1208080010001807200a")));
            Assert.Equal(10u, CriuStats.ReadRestore(dir)!.RestoreTime);
            Assert.Null(CriuStats.ReadDump(dir));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void BadMagic() =>
        Assert.Throws<InvalidDataException>(() => CriuStats.Parse(new byte[] { 0x40, 0x59, 0x10, 0x55, 0, 0, 0, 0, 0, 0, 0, 0 }));

    [Fact]
    public void Truncated() => Assert.Contains("truncated",
        Assert.Throws<InvalidDataException>(() => CriuStats.Parse(File(new byte[] { 0x12, 0x08 })[..^1])).Message);

    [Fact]
    public void GarbageEntry() =>
        Assert.Throws<InvalidDataException>(() => CriuStats.Parse(File(new byte[] { 0x12, 0x08, 0x08 })));
}
