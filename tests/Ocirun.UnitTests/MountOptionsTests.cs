using Ocirun.Runtime.Rootfs;
using static Ocirun.Runtime.Interop.Consts;

namespace Ocirun.UnitTests;

/// <summary>MountOptions.Parse: config.json option strings to mount(2) flags, propagation and data.</summary>
public class MountOptionsTests
{
    [Theory]
    [InlineData("ro", MS_RDONLY)]
    [InlineData("nosuid", MS_NOSUID)]
    [InlineData("nodev", MS_NODEV)]
    [InlineData("noexec", MS_NOEXEC)]
    [InlineData("sync", MS_SYNCHRONOUS)]
    [InlineData("dirsync", MS_DIRSYNC)]
    [InlineData("remount", MS_REMOUNT)]
    [InlineData("mand", MS_MANDLOCK)]
    [InlineData("noatime", MS_NOATIME)]
    [InlineData("nodiratime", MS_NODIRATIME)]
    [InlineData("relatime", MS_RELATIME)]
    [InlineData("strictatime", MS_STRICTATIME)]
    [InlineData("silent", MS_SILENT)]
    [InlineData("iversion", MS_I_VERSION)]
    [InlineData("lazytime", MS_LAZYTIME)]
    [InlineData("nosymfollow", MS_NOSYMFOLLOW)]
    public void SettingOptionSetsItsFlagOnly(string option, ulong flag)
    {
        var o = MountOptions.Parse([option]);
        Assert.Equal(flag, o.Flags);
        Assert.Equal(0ul, o.ClearedFlags);
        Assert.Equal("", o.Data);
        Assert.False(o.Bind);
    }

    [Theory]
    [InlineData("rw", "ro")]
    [InlineData("suid", "nosuid")]
    [InlineData("dev", "nodev")]
    [InlineData("exec", "noexec")]
    [InlineData("async", "sync")]
    [InlineData("atime", "noatime")]
    [InlineData("diratime", "nodiratime")]
    [InlineData("norelatime", "relatime")]
    [InlineData("nostrictatime", "strictatime")]
    [InlineData("loud", "silent")]
    [InlineData("noiversion", "iversion")]
    [InlineData("nolazytime", "lazytime")]
    [InlineData("symfollow", "nosymfollow")]
    [InlineData("nomand", "mand")]
    public void ClearingOptionUndoesAnEarlierSet(string clear, string set)
    {
        var setFlag = MountOptions.Parse([set]).Flags;
        var o = MountOptions.Parse([set, clear]);
        Assert.Equal(0ul, o.Flags);
        Assert.Equal(setFlag, o.ClearedFlags);
    }

    [Fact]
    public void DefaultsSetsNothingAndIsNoFilesystemOption()
    {
        var o = MountOptions.Parse(["defaults"]);
        Assert.Equal((0ul, 0ul), (o.Flags, o.ClearedFlags));
        Assert.Equal(MountOptions.Parse([]).Data, o.Data);
    }

    [Fact]
    public void LastOfRoAndRwWins()
    {
        var roLast = MountOptions.Parse(["rw", "ro"]);
        Assert.Equal(MS_RDONLY, roLast.Flags);
        Assert.Equal(0ul, roLast.ClearedFlags);
        var rwLast = MountOptions.Parse(["ro", "nosuid", "rw"]);
        Assert.Equal(MS_NOSUID, rwLast.Flags);
        Assert.Equal(MS_RDONLY, rwLast.ClearedFlags);
    }

    [Theory]
    [InlineData("private", MS_PRIVATE)]
    [InlineData("rprivate", MS_PRIVATE | MS_REC)]
    [InlineData("shared", MS_SHARED)]
    [InlineData("rshared", MS_SHARED | MS_REC)]
    [InlineData("slave", MS_SLAVE)]
    [InlineData("rslave", MS_SLAVE | MS_REC)]
    [InlineData("unbindable", MS_UNBINDABLE)]
    [InlineData("runbindable", MS_UNBINDABLE | MS_REC)]
    public void PropagationIsKeptApartFromFlags(string option, ulong propagation)
    {
        var o = MountOptions.Parse(["nodev", option]);
        Assert.Equal(propagation, o.Propagation);
        Assert.Equal(MS_NODEV, o.Flags);
    }

    [Fact]
    public void LastPropagationWins() => Assert.Equal(MS_SHARED, MountOptions.Parse(["rprivate", "shared"]).Propagation);

    [Fact]
    public void BindAddsBindFlag()
    {
        var o = MountOptions.Parse(["bind", "ro"]);
        Assert.True(o.Bind);
        Assert.False(o.Recursive);
        Assert.Equal(MS_BIND | MS_RDONLY, o.Flags);
    }

    [Theory]
    [InlineData("rbind")]
    [InlineData("bind", "rbind")]
    [InlineData("rbind", "bind")]
    public void RbindIsRecursive(params string[] options)
    {
        var o = MountOptions.Parse(options);
        Assert.True(o.Bind && o.Recursive);
        Assert.Equal(MS_BIND | MS_REC, o.Flags);
    }

    [Fact]
    public void BindRemountFlagsDropBindRecAndRemount()
    {
        var o = MountOptions.Parse(["rbind", "remount", "ro", "nosuid", "rprivate"]);
        Assert.Equal(MS_RDONLY | MS_NOSUID, o.BindRemountFlags);
    }

    [Fact]
    public void UnknownOptionsArePassedAsDataInOrder()
    {
        var o = MountOptions.Parse(["nosuid", "mode=755", "strictatime", "size=65536k", "newinstance"]);
        Assert.Equal("mode=755,size=65536k,newinstance", o.Data);
        Assert.Equal(MS_NOSUID | MS_STRICTATIME, o.Flags);
    }

    [Fact]
    public void TmpcopyupAndRroAreNotDataOrFlags()
    {
        var o = MountOptions.Parse(["tmpcopyup", "rro", "mode=1777"]);
        Assert.True(o.TmpCopyUp);
        Assert.Equal(Ocirun.Runtime.Interop.Consts.MOUNT_ATTR_RDONLY, (long)o.RecursiveAttrs.Set);
        Assert.Equal(0ul, o.Flags);
        Assert.Equal("mode=1777", o.Data);
    }

    [Theory]
    [InlineData(new[] { "rbind", "rro" }, 0x1ul, 0x0ul)]
    [InlineData(new[] { "rro", "rrw" }, 0x0ul, 0x1ul)]
    [InlineData(new[] { "rnosuid", "rnodev", "rnoexec", "rnosymfollow" }, 0x20000eul, 0x0ul)]
    [InlineData(new[] { "rsuid", "rdev", "rexec", "rdiratime", "rsymfollow" }, 0x0ul, 0x20008eul)]
    // An access-time mode always clears the whole 3-bit field it lives in (mount_setattr(2)).
    [InlineData(new[] { "rnoatime" }, 0x10ul, 0x70ul)]
    [InlineData(new[] { "rstrictatime" }, 0x20ul, 0x70ul)]
    [InlineData(new[] { "rrelatime" }, 0x0ul, 0x70ul)]
    [InlineData(new[] { "rnoatime", "rstrictatime" }, 0x20ul, 0x70ul)]
    [InlineData(new[] { "ratime" }, 0x0ul, 0x10ul)]
    [InlineData(new[] { "rnodiratime" }, 0x80ul, 0x0ul)]
    public void RecursiveOptionsBecomeMountSetattrBits(string[] options, ulong set, ulong clear)
    {
        var o = MountOptions.Parse(options);
        Assert.Equal(new RecursiveAttrs(set, clear), o.RecursiveAttrs);
        Assert.Equal("", o.Data);
    }

    [Fact]
    public void NoOptionsIsEmpty() =>
        Assert.Equal(new ParsedMountOptions(0, 0, 0, "", false, false, default, false), MountOptions.Parse(null));

    [Fact]
    public void OptionsAreCaseSensitive() => Assert.Equal("RO", MountOptions.Parse(["RO"]).Data);

    [Theory]
    [InlineData(null, MS_SLAVE | MS_REC)]
    [InlineData("", MS_SLAVE | MS_REC)]
    [InlineData("private", MS_PRIVATE)]
    [InlineData("rshared", MS_SHARED | MS_REC)]
    public void RootPropagationDefaultsToRslave(string? value, ulong expected) =>
        Assert.Equal(expected, MountOptions.RootPropagation(value));

    [Fact]
    public void KnownListsEveryOptionOnceSorted()
    {
        var known = MountOptions.Known.ToList();
        Assert.Equal(known.Order(StringComparer.Ordinal), known);
        Assert.Equal(known.Count, known.Distinct().Count());
        foreach (var o in new[] { "ro", "rw", "bind", "rbind", "rro", "tmpcopyup", "rslave", "nosymfollow" })
        {
            Assert.Contains(o, known);
        }
        // Every option Known advertises is understood, i.e. not passed through as data.
        Assert.All(known, o => Assert.Equal("", MountOptions.Parse([o]).Data));
    }
}
