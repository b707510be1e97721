using Google.Protobuf;
using Google.Protobuf.Reflection;
using Ocirun.Runtime.Criu;

namespace Ocirun.UnitTests.Criu;

/// <summary>
/// The generated messages against hand-computed protobuf bytes (tag = field number << 3 | wire
/// type) and the field numbers of docs/criu-rpc-fields.md.
/// </summary>
public class CriuProtoTests
{
    private static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", ""));

    private static string HexOf(IMessage m) => Convert.ToHexString(m.ToByteArray()).ToLowerInvariant();

    [Fact]
    public void VersionRequest() => Assert.Equal("080a", HexOf(new CriuReq { Type = CriuReqType.Version }));

    [Fact]
    public void FeatureCheckRequest() => Assert.Equal("08092a0408011001", HexOf(new CriuReq
    {
        Type = CriuReqType.FeatureCheck,
        Features = new CriuFeatures { MemTrack = true, LazyPages = true },
    }));

    [Fact]
    public void NotifyAnswer() =>
        Assert.Equal("08061800", HexOf(new CriuReq { Type = CriuReqType.Notify, NotifySuccess = false }));

    [Fact]
    public void DumpRequestWithOptions()
    {
        var req = new CriuReq
        {
            Type = CriuReqType.Dump,
            Opts = new CriuOpts
            {
                ImagesDirFd = 5, Pid = 1234, LeaveRunning = true, LogLevel = 4, LogFile = "dump.log",
                NotifyScripts = true, OrphanPtsMaster = true, LsmMountContext = "x",
            },
        };
        // 08 05 | 10 d2 09 | 18 01 | 48 04 | 52 08 "dump.log" | 60 01 | (50) 90 03 01 | (63) fa 03 01 "x"
        Assert.Equal("0801121c" + "0805" + "10d209" + "1801" + "4804" + "5208" + "64756d702e6c6f67" + "6001"
            + "900301" + "fa030178", HexOf(req));
    }

    [Fact]
    public void RestoreRequestWithInheritFdAndFdZero()
    {
        var opts = new CriuOpts { ImagesDirFd = 0, RstSibling = true };
        opts.InheritFd.Add(new InheritFd { Key = "pipe:[123]", Fd = 4 });
        // fd 0 is a real descriptor and must be sent (proto2 presence, default -1).
        Assert.Equal("08021216" + "0800" + "d00101" + "da010e" + "0a0a" + "706970653a5b3132335d" + "1004",
            HexOf(new CriuReq { Type = CriuReqType.Restore, Opts = opts }));
    }

    [Fact]
    public void UnsetOptionsKeepCriusDefaults()
    {
        var o = new CriuOpts();
        Assert.Equal((-1, 2, 0xffffffffu, 0x100000u), (o.ImagesDirFd, o.LogLevel, o.CpuCap, o.GhostLimit));
        Assert.Equal(CriuNetworkLockMethod.Iptables, o.NetworkLock);
        Assert.Empty(o.ToByteArray());
    }

    [Fact]
    public void DecodesRecordedVersionAnswer()
    {
        // CRIU 4.1.1 on the target host (criu-integration.md §6.3): no gitid, no name.
        var r = CriuResp.Parser.ParseFrom(Hex("080a 1001 5206 0804 1001 2001"));
        Assert.Equal((CriuReqType.Version, true), (r.Type, r.Success));
        Assert.Equal(new CriuVersionNumber(4, 1, 1), CriuVersionNumber.From(r.Version));
        Assert.False(r.Version.HasGitid);
    }

    [Fact]
    public void DecodesNotifyAndRestoreAnswers()
    {
        var n = CriuResp.Parser.ParseFrom(Hex("0806 1001 2a11 0a0c" + "706f73742d726573746f7265" + "109221"));
        Assert.Equal((CriuReqType.Notify, "post-restore", 4242), (n.Type, n.Notify.Script, n.Notify.Pid));
        var r = CriuResp.Parser.ParseFrom(Hex("0802 1001 2203 089221"));
        Assert.Equal((CriuReqType.Restore, true, 4242), (r.Type, r.Success, r.Restore.Pid));
    }

    [Fact]
    public void DecodesFailedRestoreWithNegativePid()
    {
        var r = CriuResp.Parser.ParseFrom(Hex("0802 1000 220b 08ffffffffffffffffff01"));
        Assert.Equal((false, -1), (r.Success, r.Restore.Pid));
    }

    [Fact]
    public void MissingRequiredFieldsAreNotEnforced()
    {
        // Google.Protobuf's proto2 support does not check required fields, either way; CRIU's
        // answers always carry them, and ocirun always sets images_dir_fd itself.
        var r = CriuResp.Parser.ParseFrom(Hex("080a"));
        Assert.False(r.HasSuccess);
        Assert.Equal("080112021001",
            HexOf(new CriuReq { Type = CriuReqType.Dump, Opts = new CriuOpts { Pid = 1 } }));
    }

    [Theory]
    [InlineData("images_dir_fd", 1, FieldType.Int32)]
    [InlineData("pid", 2, FieldType.Int32)]
    [InlineData("leave_running", 3, FieldType.Bool)]
    [InlineData("log_file", 10, FieldType.String)]
    [InlineData("ps", 11, FieldType.Message)]
    [InlineData("root", 13, FieldType.String)]
    [InlineData("work_dir_fd", 17, FieldType.Int32)]
    [InlineData("ext_mnt", 23, FieldType.Message)]
    [InlineData("manage_cgroups", 24, FieldType.Bool)]
    [InlineData("cg_root", 25, FieldType.Message)]
    [InlineData("rst_sibling", 26, FieldType.Bool)]
    [InlineData("inherit_fd", 27, FieldType.Message)]
    [InlineData("manage_cgroups_mode", 34, FieldType.Enum)]
    [InlineData("external", 37, FieldType.String)]
    [InlineData("empty_ns", 38, FieldType.UInt32)]
    [InlineData("join_ns", 39, FieldType.Message)]
    [InlineData("freeze_cgroup", 44, FieldType.String)]
    [InlineData("lazy_pages", 48, FieldType.Bool)]
    [InlineData("orphan_pts_master", 50, FieldType.Bool)]
    [InlineData("config_file", 51, FieldType.String)]
    [InlineData("tcp_close", 52, FieldType.Bool)]
    [InlineData("lsm_profile", 53, FieldType.String)]
    [InlineData("lsm_mount_context", 63, FieldType.String)]
    [InlineData("network_lock", 64, FieldType.Enum)]
    [InlineData("images_dir", 68, FieldType.String)]
    public void CriuOptsFieldNumbers(string name, int number, FieldType type)
    {
        var f = CriuOpts.Descriptor.FindFieldByName(name);
        Assert.NotNull(f);
        Assert.Equal((number, type), (f.FieldNumber, f.FieldType));
    }

    [Fact]
    public void ImagesDirFdIsRequired() => Assert.True(CriuOpts.Descriptor.FindFieldByName("images_dir_fd").IsRequired);

    [Fact]
    public void FieldFortyIsUnused() => Assert.Null(CriuOpts.Descriptor.FindFieldByNumber(40));

    [Theory]
    [InlineData(typeof(CriuReq), "type:1 opts:2 notify_success:3 keep_open:4 features:5 pid:6")]
    [InlineData(typeof(CriuResp), "type:1 success:2 dump:3 restore:4 notify:5 ps:6 cr_errno:7 features:8 cr_errmsg:9 version:10 status:11")]
    [InlineData(typeof(CriuVersion), "major_number:1 minor_number:2 gitid:3 sublevel:4 extra:5 name:6")]
    [InlineData(typeof(InheritFd), "key:1 fd:2")]
    [InlineData(typeof(CgroupRoot), "ctrl:1 path:2")]
    [InlineData(typeof(JoinNamespace), "ns:1 ns_file:2 extra_opt:3")]
    [InlineData(typeof(CriuPageServerInfo), "address:1 port:2 pid:3 fd:4")]
    [InlineData(typeof(CriuNotify), "script:1 pid:2")]
    [InlineData(typeof(CriuFeatures), "mem_track:1 lazy_pages:2 pidfd_store:3")]
    public void MessageFieldNumbers(Type message, string expected)
    {
        var descriptor = (MessageDescriptor)message.GetProperty("Descriptor")!.GetValue(null)!;
        Assert.Equal(expected, string.Join(' ', descriptor.Fields.InFieldNumberOrder().Select(f => $"{f.Name}:{f.FieldNumber}")));
    }

    [Fact]
    public void RequestTypeValues() => Assert.Equal(
        "EMPTY:0 DUMP:1 RESTORE:2 CHECK:3 PRE_DUMP:4 PAGE_SERVER:5 NOTIFY:6 CPUINFO_DUMP:7 CPUINFO_CHECK:8 FEATURE_CHECK:9 VERSION:10 WAIT_PID:11 PAGE_SERVER_CHLD:12 SINGLE_PRE_DUMP:13",
        string.Join(' ', CriuRpcReflection.Descriptor.FindTypeByName<EnumDescriptor>("CriuReqType").Values.Select(v => $"{v.Name}:{v.Number}")));
}
