using System.Buffers.Binary;
using System.Text.RegularExpressions;
using Ocirun.Runtime.Linux;
using Ocirun.Runtime.Sync;
using static Ocirun.Runtime.Interop.Consts;

namespace Ocirun.UnitTests;

/// <summary>The parent/init sync protocol: bootstrap encoding, agreement with native/ocirun_sync.h, framing over a socketpair.</summary>
public class SyncFramingTests
{
    private static Dictionary<string, long> HeaderDefines()
    {
        var text = File.ReadAllText(Path.Combine(TestHelpers.RepoRoot, "native", "ocirun_sync.h"));
        var defines = Regex.Matches(text, @"^#define (OCIRUN_\w+) \(?(\d+)u?(?: << (\d+))?\)?\s*$", RegexOptions.Multiline)
            .ToDictionary(m => m.Groups[1].Value,
                m => long.Parse(m.Groups[2].Value) << (m.Groups[3].Success ? int.Parse(m.Groups[3].Value) : 0));
        Assert.NotEmpty(defines);
        return defines;
    }

    /// <summary>OCIRUN_SYNC_USERMAP_PLS → UsermapPls; compared ignoring case with the enum's names.</summary>
    private static string Pascal(string snake) =>
        string.Concat(snake.ToLowerInvariant().Split('_').Select(w => char.ToUpperInvariant(w[0]) + w[1..]));

    [Fact]
    public void SyncTypesMatchNativeHeader()
    {
        var native = HeaderDefines().Where(d => d.Key.StartsWith("OCIRUN_SYNC_", StringComparison.Ordinal) && d.Key != "OCIRUN_SYNC_MAX_FRAME")
            .ToDictionary(d => d.Key["OCIRUN_SYNC_".Length..], d => d.Value);
        var aliases = new Dictionary<string, SyncType> { ["USERMAP_PLS"] = SyncType.UsermapPlease };
        Assert.Equal(5, native.Count);
        foreach (var (name, value) in native)
        {
            var managed = aliases.TryGetValue(name, out var a) ? a : Enum.Parse<SyncType>(Pascal(name));
            Assert.Equal(value, (long)managed);
        }
        // Managed-only frame types must not collide with native ones.
        Assert.All(Enum.GetValues<SyncType>().Where(t => (uint)t < 10), t => Assert.Contains((long)t, native.Values));
    }

    [Fact]
    public void BootRecordsMatchNativeHeader()
    {
        var native = HeaderDefines().Where(d => d.Key.StartsWith("OCIRUN_BOOT_", StringComparison.Ordinal))
            .ToDictionary(d => Pascal(d.Key["OCIRUN_BOOT_".Length..]), d => d.Value);
        Assert.Equal(Enum.GetValues<BootRecord>().ToDictionary(r => r.ToString(), r => (long)r), native);
    }

    [Fact]
    public void MaxRecordsMatchesNativeHeader() => Assert.Equal(Bootstrap.MaxRecords, HeaderDefines()["OCIRUN_MAX_RECORDS"]);

    [Fact]
    public void TooManyCgroupHierarchiesAreRefusedBeforeTheNativeStageSeesThem()
    {
        var b = new Bootstrap();
        b.CgroupV1Tasks.AddRange(Enumerable.Range(0, Bootstrap.MaxRecords + 1).Select(i => $"/sys/fs/cgroup/h{i}/c/tasks"));
        Assert.Contains("at most 16", Assert.Throws<Ocirun.Runtime.ContainerException>(() => b.Encode()).Message);
    }

    [Fact]
    public void MaxFrameMatchesNativeHeader() => Assert.Equal(SyncSocket.MaxFrame, HeaderDefines()["OCIRUN_SYNC_MAX_FRAME"]);

    [Fact]
    public void EncodeUnshareOnly()
    {
        var b = new Bootstrap { UnshareFlags = 0x20000 | 0x20000000 }; // CLONE_NEWNS | CLONE_NEWPID
        Assert.Equal(Convert.FromHexString("01000000" + "08000000" + "0000022000000000"), b.Encode());
    }

    [Fact]
    public void EncodeJoinsAndTimeOffsets()
    {
        var b = new Bootstrap { UnshareFlags = 0x10000000, TimensOffsets = "monotonic 5 0" };
        b.Joins.Add((0x40000000, "/proc/1/ns/net"));
        b.Joins.Add((0x08000000, "/ns/é"));
        var expected =
            "01000000" + "08000000" + "0000001000000000"
            + "02000000" + "13000000" + "00000040" + Hex("/proc/1/ns/net") + "00"
            + "02000000" + "0B000000" + "00000008" + Hex("/ns/é") + "00"
            + "03000000" + "0E000000" + Hex("monotonic 5 0") + "00";
        Assert.Equal(expected, Convert.ToHexString(b.Encode()));
    }

    [Fact]
    public void EncodeCgroupRecords()
    {
        var b = new Bootstrap { CgroupV2Dir = "/sys/fs/cgroup/unified/c" };
        b.CgroupV1Tasks.Add("/sys/fs/cgroup/pids/c/tasks");
        var expected =
            "01000000" + "08000000" + "0000000000000000"
            + "04000000" + "1C000000" + Hex("/sys/fs/cgroup/pids/c/tasks") + "00"
            + "05000000" + "19000000" + Hex("/sys/fs/cgroup/unified/c") + "00";
        Assert.Equal(expected, Convert.ToHexString(b.Encode()));
    }

    private static string Hex(string s) => Convert.ToHexString(System.Text.Encoding.UTF8.GetBytes(s));

    /// <summary>Both ends of an AF_UNIX stream socketpair, closed on dispose.</summary>
    private sealed class Pair : IDisposable
    {
        public SyncSocket A { get; }
        public SyncSocket B { get; }

        public Pair()
        {
            var (a, b) = Sys.SocketPair(SOCK_STREAM);
            A = new SyncSocket(a);
            B = new SyncSocket(b);
        }

        public void Dispose()
        {
            if (A.Fd >= 0)
            {
                A.Dispose();
            }
            if (B.Fd >= 0)
            {
                B.Dispose();
            }
        }
    }

    [Fact]
    public async Task FramesRoundTripInOrder()
    {
        using var p = new Pair();
        var big = Enumerable.Range(0, 100_000).Select(i => (byte)i).ToArray();
        p.A.Send(SyncType.InitConfig, "{\"x\":1}"u8);
        p.A.Send(SyncType.Ready);
        p.B.Send(SyncType.Pid, BitConverter.GetBytes(4242));
        var first = p.B.Receive()!.Value;
        Assert.Equal(SyncType.InitConfig, first.Type);
        Assert.Equal("{\"x\":1}"u8.ToArray(), first.Payload);
        var second = p.B.Receive()!.Value;
        Assert.Equal((SyncType.Ready, 0), (second.Type, second.Payload.Length));
        var pid = p.A.Receive()!.Value;
        Assert.Equal(4242, BinaryPrimitives.ReadInt32LittleEndian(pid.Payload));
        var sender = Task.Run(() => p.A.Send(SyncType.Bootstrap, big));
        var large = p.B.Receive()!.Value;
        await sender;
        Assert.Equal(big, large.Payload);
    }

    [Fact]
    public void ErrorFrameCarriesErrnoAndMessage()
    {
        using var p = new Pair();
        p.A.SendError(13, "open /proc/self/ns/user: permission dénied");
        var f = p.B.Receive()!.Value;
        Assert.Equal(SyncType.Error, f.Type);
        Assert.Equal((13, "open /proc/self/ns/user: permission dénied"), SyncSocket.DecodeError(f.Payload));
        Assert.Equal(13, BinaryPrimitives.ReadInt32LittleEndian(f.Payload));
    }

    [Fact]
    public void ShortErrorPayloadIsMalformed() => Assert.Equal((0, "malformed error frame"), SyncSocket.DecodeError([1, 2]));

    [Fact]
    public void ReceiveAtEndOfStreamIsNull()
    {
        using var p = new Pair();
        p.A.Send(SyncType.HooksDone);
        p.A.Dispose();
        Assert.Equal(SyncType.HooksDone, p.B.Receive()!.Value.Type);
        Assert.Null(p.B.Receive());
    }

    [Fact]
    public void OversizedFrameIsRefused()
    {
        using var p = new Pair();
        var header = new byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(header, (uint)SyncType.InitConfig);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(4), SyncSocket.MaxFrame + 1u);
        Sys.WriteAll(p.A.Fd, header, "test");
        Assert.Throws<InvalidDataException>(() => p.B.Receive());
    }

    [Fact]
    public void PeerGoneInsideAFrameIsAnError()
    {
        using var p = new Pair();
        var header = new byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(header, (uint)SyncType.InitConfig);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(4), 10);
        Sys.WriteAll(p.A.Fd, header, "test");
        p.A.Dispose();
        Assert.Throws<InvalidDataException>(() => p.B.Receive());
    }

    [Fact]
    public void PeerGoneInsideAHeaderIsAnError()
    {
        using var p = new Pair();
        Sys.WriteAll(p.A.Fd, new byte[] { 1, 0, 0 }, "test");
        p.A.Dispose();
        Assert.Throws<LinuxException>(() => p.B.Receive());
    }
}
