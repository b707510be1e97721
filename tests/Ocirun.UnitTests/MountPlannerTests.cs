using Ocirun.Runtime.Rootfs;
using Ocirun.Spec.Model;

namespace Ocirun.UnitTests;

/// <summary>MountPlanner.Plan as golden, ordered lists of readable operations.</summary>
public class MountPlannerTests
{
    private const string Rootfs = "/bundle/rootfs";

    private static string Format(MountOp op) => op switch
    {
        MountOp.SetPropagation p => $"propagation {p.Target} {TestHelpers.MountFlags(p.Flags)}",
        MountOp.BindRootfs b => $"bind-rootfs {b.Rootfs}",
        MountOp.Mount m => $"mount {m.Destination} type={m.Type} src={m.Source} flags={TestHelpers.MountFlags(m.Options.Flags)}"
            + (m.Options.Propagation != 0 ? $" prop={TestHelpers.MountFlags(m.Options.Propagation)}" : "")
            + (m.Options.Data.Length > 0 ? $" data={m.Options.Data}" : ""),
        MountOp.Device d => $"device {d.Path} {d.Type} {d.Major}:{d.Minor} {Convert.ToString(d.Mode, 8)} {d.Uid}:{d.Gid}"
            + (d.BindFromHost ? " bind-from-host" : ""),
        MountOp.Ptmx => "ptmx",
        MountOp.Symlink s => $"symlink {s.LinkPath} -> {s.Target}",
        MountOp.EnterRoot e => e.NoPivot ? "move-chroot" : "pivot-root",
        MountOp.MaskPath m => $"mask {m.Path}",
        MountOp.ReadonlyPath r => $"readonly {r.Path}",
        MountOp.RemountRootReadonly => "remount-root-ro",
        MountOp.RemountReadonly r => $"remount-ro {r.Destination} flags={TestHelpers.MountFlags(r.Flags)}",
        _ => throw new ArgumentException(op.ToString()),
    };

    private static List<string> Plan(Spec.Model.Spec spec, bool noPivot = false, bool userns = false) =>
        MountPlanner.Plan(spec, Rootfs, noPivot, userns).Select(Format).ToList();

    private static readonly string[] DevSetup =
    {
        "device /dev/null c 1:3 666 0:0",
        "device /dev/zero c 1:5 666 0:0",
        "device /dev/full c 1:7 666 0:0",
        "device /dev/random c 1:8 666 0:0",
        "device /dev/urandom c 1:9 666 0:0",
        "device /dev/tty c 5:0 666 0:0",
        "ptmx",
        "symlink /dev/fd -> /proc/self/fd",
        "symlink /dev/stdin -> /proc/self/fd/0",
        "symlink /dev/stdout -> /proc/self/fd/1",
        "symlink /dev/stderr -> /proc/self/fd/2",
    };

    [Fact]
    public void ReadonlyTmpfsIsFilledBeforeItBecomesReadonly()
    {
        var spec = new Spec.Model.Spec
        {
            Mounts =
            [
                TestHelpers.Mount("/dev", "tmpfs", "tmpfs", "ro", "nosuid"),
                TestHelpers.Mount("/dev/pts", "devpts", "devpts"),
                TestHelpers.Mount("/run", "tmpfs", "tmpfs", "ro"),
            ],
        };
        var plan = Plan(spec);
        Assert.Equal("mount /dev type=tmpfs src=tmpfs flags=nosuid", plan[2]);
        Assert.Equal("mount /run type=tmpfs src=tmpfs flags=-", plan[4]);
        Assert.Equal("remount-ro /run flags=ro", plan[5]);
        // /dev only after its nodes and links, just before the root is entered.
        Assert.Equal("remount-ro /dev flags=ro,nosuid", plan[plan.IndexOf("pivot-root") - 1]);
    }

    [Fact]
    public void DefaultSpecPlan()
    {
        string[] expected =
        [
            "propagation / rec,slave",
            "bind-rootfs /bundle/rootfs",
            "mount /proc type=proc src=proc flags=-",
            "mount /dev type=tmpfs src=tmpfs flags=nosuid,strictatime data=mode=755,size=65536k",
            "mount /dev/pts type=devpts src=devpts flags=nosuid,noexec data=newinstance,ptmxmode=0666,mode=0620,gid=5",
            "mount /dev/shm type=tmpfs src=shm flags=nosuid,nodev,noexec data=mode=1777,size=65536k",
            "mount /dev/mqueue type=mqueue src=mqueue flags=nosuid,nodev,noexec",
            "mount /sys type=sysfs src=sysfs flags=ro,nosuid,nodev,noexec",
            "mount /sys/fs/cgroup type=cgroup src=cgroup flags=ro,nosuid,nodev,noexec,relatime",
            .. DevSetup,
            "pivot-root",
            "mask /proc/acpi",
            "mask /proc/asound",
            "mask /proc/kcore",
            "mask /proc/keys",
            "mask /proc/latency_stats",
            "mask /proc/timer_list",
            "mask /proc/timer_stats",
            "mask /proc/sched_debug",
            "mask /sys/firmware",
            "mask /proc/scsi",
            "readonly /proc/bus",
            "readonly /proc/fs",
            "readonly /proc/irq",
            "readonly /proc/sys",
            "readonly /proc/sysrq-trigger",
            "remount-root-ro",
        ];
        Assert.Equal(expected, Plan(Runtime.Container.DefaultSpec.Create()));
    }

    [Fact]
    public void BindOfHostDevPlansNoDevices()
    {
        var spec = TestHelpers.MinimalSpec();
        spec.Linux!.RootfsPropagation = "private";
        spec.Mounts = [TestHelpers.Mount("/proc", "proc", "proc"), TestHelpers.Mount("/dev/", null, "/dev", "rbind", "rslave")];
        string[] expected =
        [
            "propagation / private",
            "bind-rootfs /bundle/rootfs",
            "mount /proc type=proc src=proc flags=-",
            "mount /dev type=bind src=/dev flags=bind,rec prop=rec,slave",
            "pivot-root",
            "propagation / private",
        ];
        Assert.Equal(expected, Plan(spec));
        Assert.False(MountPlanner.SetsUpDev(spec));
    }

    [Fact]
    public void TmpfsOnDevStillGetsDevices() =>
        Assert.True(MountPlanner.SetsUpDev(new Spec.Model.Spec { Mounts = [TestHelpers.Mount("/dev", "tmpfs", "tmpfs")] }));

    [Fact]
    public void ReadonlyRootWithMaskedAndReadonlyPaths()
    {
        var spec = TestHelpers.MinimalSpec();
        spec.Root!.Readonly = true;
        spec.Linux!.MaskedPaths = ["/proc/kcore", "proc//keys/"];
        spec.Linux.ReadonlyPaths = ["/proc/sys/../bus"];
        string[] expected =
        [
            "propagation / rec,slave",
            "bind-rootfs /bundle/rootfs",
            .. DevSetup,
            "pivot-root",
            "mask /proc/kcore",
            "mask /proc/keys",
            "readonly /proc/bus",
            "remount-root-ro",
        ];
        Assert.Equal(expected, Plan(spec));
    }

    [Fact]
    public void UserNamespaceBindsDevicesFromHost()
    {
        var spec = TestHelpers.MinimalSpec();
        spec.Linux!.Devices =
        [
            new Device { Type = "c", Path = "/dev/fuse", Major = 10, Minor = 229, FileMode = 0x180 /* 0600 */, Uid = 1000, Gid = 100 },
            new Device { Type = "c", Path = "/dev/null", Major = 1, Minor = 3 },
        ];
        string[] expected =
        [
            "propagation / rec,slave",
            "bind-rootfs /bundle/rootfs",
            "device /dev/zero c 1:5 666 0:0 bind-from-host",
            "device /dev/full c 1:7 666 0:0 bind-from-host",
            "device /dev/random c 1:8 666 0:0 bind-from-host",
            "device /dev/urandom c 1:9 666 0:0 bind-from-host",
            "device /dev/tty c 5:0 666 0:0 bind-from-host",
            "device /dev/fuse c 10:229 600 1000:100 bind-from-host",
            "device /dev/null c 1:3 666 0:0 bind-from-host",
            .. DevSetup[6..],
            "pivot-root",
        ];
        Assert.Equal(expected, Plan(spec, userns: true));
    }

    [Fact]
    public void NoPivotMovesAndChroots()
    {
        var plan = Plan(TestHelpers.MinimalSpec(), noPivot: true);
        Assert.Contains("move-chroot", plan);
        Assert.DoesNotContain("pivot-root", plan);
        Assert.Equal(plan.Count - 1, plan.IndexOf("move-chroot"));
    }

    [Fact]
    public void MountDestinationsAreNormalizedAndTypeDefaults()
    {
        var spec = TestHelpers.MinimalSpec();
        spec.Mounts = [TestHelpers.Mount("data/../srv//www/", null, null, "nosuid"), TestHelpers.Mount("/x", null, "/host/x", "bind")];
        var mounts = Plan(spec).Where(l => l.StartsWith("mount ", StringComparison.Ordinal));
        Assert.Equal(["mount /srv/www type=none src=none flags=nosuid", "mount /x type=bind src=/host/x flags=bind"], mounts);
    }

    [Theory]
    [InlineData("a//b/../c", "/a/c")]
    [InlineData("../..", "/")]
    [InlineData("/../../etc", "/etc")]
    [InlineData("", "/")]
    [InlineData("/", "/")]
    [InlineData("./proc/./sys/", "/proc/sys")]
    [InlineData("/dev//pts", "/dev/pts")]
    [InlineData("/a/b/c/../../d", "/a/d")]
    [InlineData("/...", "/...")]
    public void Normalize(string path, string expected) => Assert.Equal(expected, MountPlanner.Normalize(path));
}
