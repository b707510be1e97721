using Ocirun.Runtime;
using Ocirun.Runtime.Cgroups;
using Ocirun.Spec.Model;

namespace Ocirun.UnitTests.Cgroups;

/// <summary>One spec, its v1 and v2 file writes.</summary>
public sealed class ResourceTranslationTests
{
    private static Resources Sample() => new()
    {
        Memory = new MemoryResources { Limit = 256 << 20, Swap = 512 << 20, Reservation = 128 << 20, Swappiness = 10 },
        Cpu = new CpuResources { Shares = 1024, Quota = 50000, Period = 100000, Cpus = "0-1", Mems = "0" },
        Pids = new PidsResources { Limit = 100 },
        BlockIO = new BlockIo
        {
            Weight = 500,
            ThrottleReadBpsDevice = [new ThrottleDevice { Major = 8, Minor = 0, Rate = 1048576 }],
        },
        HugepageLimits = [new HugepageLimit { PageSize = "2MB", Limit = 4 << 20 }],
        Unified = new() { ["memory.high"] = "300000000" },
    };

    private static Resources WithoutUnified()
    {
        var r = Sample();
        r.Unified = null;
        return r;
    }

    [Fact]
    public void V1RefusesUnifiedAsRuncDoes() =>
        Assert.Equal("invalid configuration: cannot use unified on cgroup v1",
            Assert.Throws<ContainerException>(() => V1Resources.Translate(Sample())).Message);

    [Fact]
    public void V1()
    {
        var w = V1Resources.Translate(WithoutUnified()).Select(x => x.ToString()).ToList();
        Assert.Equal(
        [
            "memory/memory.limit_in_bytes=268435456",
            "memory/memory.memsw.limit_in_bytes=536870912",
            "memory/memory.soft_limit_in_bytes=134217728",
            "memory/memory.swappiness=10",
            "cpu/cpu.shares=1024",
            "cpu/cpu.cfs_period_us=100000",
            "cpu/cpu.cfs_quota_us=50000",
            "cpuset/cpuset.cpus=0-1",
            "cpuset/cpuset.mems=0",
            "pids/pids.max=100",
            "blkio/blkio.weight=500",
            "blkio/blkio.throttle.read_bps_device=8:0 1048576",
            "hugetlb/hugetlb.2MB.limit_in_bytes=4194304",
            "hugetlb/hugetlb.2MB.rsvd.limit_in_bytes=4194304",
        ], w);
    }

    [Fact]
    public void V2()
    {
        var w = V2Resources.Translate(Sample()).Select(x => x.ToString()).ToList();
        Assert.Equal(
        [
            "unified/memory.max=268435456",
            "unified/memory.swap.max=268435456",
            "unified/memory.low=134217728",
            "unified/cpu.weight=100",
            "unified/cpu.max=50000 100000",
            "unified/cpuset.cpus=0-1",
            "unified/cpuset.mems=0",
            "unified/pids.max=100",
            "unified/io.weight=4950",
            "unified/io.max=8:0 rbps=1048576",
            "unified/hugetlb.2MB.max=4194304",
            "unified/hugetlb.2MB.rsvd.max=4194304",
            "unified/memory.high=300000000",
        ], w);
    }

    [Theory]
    // runc 1.3.6's values (its cgroups module's ConvertCPUSharesToCgroupV2Value).
    [InlineData(0UL, 0UL)]
    [InlineData(1UL, 1UL)]
    [InlineData(2UL, 1UL)]
    [InlineData(3UL, 2UL)]
    [InlineData(512UL, 59UL)]
    [InlineData(1024UL, 100UL)]
    [InlineData(2048UL, 174UL)]
    [InlineData(100000UL, 4340UL)]
    [InlineData(262143UL, 10000UL)]
    [InlineData(262144UL, 10000UL)]
    [InlineData(1000000UL, 10000UL)]
    public void SharesToWeight(ulong shares, ulong weight) => Assert.Equal(weight, V2Resources.SharesToWeight(shares));

    [Fact]
    public void UnlimitedValues()
    {
        var r = new Resources { Memory = new MemoryResources { Limit = -1, Swap = -1 }, Pids = new PidsResources { Limit = -1 } };
        Assert.Equal(["memory/memory.limit_in_bytes=-1", "memory/memory.memsw.limit_in_bytes=-1", "pids/pids.max=max"],
            V1Resources.Translate(r).Select(x => x.ToString()));
        Assert.Equal(["unified/memory.max=max", "unified/memory.swap.max=max", "unified/pids.max=max"],
            V2Resources.Translate(r).Select(x => x.ToString()));
    }

    [Fact]
    public void APidsLimitOfZeroLeavesTheLimitAsItIs()
    {
        // runc's update sends 0 when --pids-limit is not given, and its drivers skip it.
        var r = new Resources { Pids = new PidsResources { Limit = 0 } };
        Assert.Empty(V1Resources.Translate(r));
        Assert.Empty(V2Resources.Translate(r));
    }

    [Fact]
    public void V2RefusesWhatOnlyV1Has()
    {
        Assert.Throws<Runtime.ContainerException>(() => V2Resources.Translate(new Resources { Network = new NetworkResources { ClassId = 1 } }));
        Assert.Throws<Runtime.ContainerException>(() => V2Resources.Translate(new Resources { Memory = new MemoryResources { DisableOOMKiller = true } }));
    }

    [Fact]
    public void ZeroMemoryValuesAreLeftAlone()
    {
        var zeros = new Resources { Memory = new MemoryResources { Limit = 0, Reservation = 0, Swap = 0, Kernel = 0, KernelTCP = 0 } };
        Assert.Empty(V1Resources.Translate(zeros));
        Assert.Empty(V2Resources.Translate(zeros));
    }

    [Fact]
    public void LiftingTheMemoryLimitLiftsMemoryAndSwapWhereItExists()
    {
        var w = V1Resources.Translate(new Resources { Memory = new MemoryResources { Limit = -1 } });
        Assert.Equal(["memory/memory.limit_in_bytes=-1", "memory/memory.memsw.limit_in_bytes=-1"], w.Select(x => x.ToString()));
        Assert.True(w[1].Optional);
        // An explicit swap is taken as given.
        Assert.Equal("memory/memory.memsw.limit_in_bytes=1048576",
            V1Resources.Translate(new Resources { Memory = new MemoryResources { Limit = -1, Swap = 1 << 20 } })[1].ToString());
    }

    [Fact]
    public void BlkioWeightsFallBackToBfqAndReservationsAreOptional()
    {
        var w = V1Resources.Translate(WithoutUnified());
        Assert.Equal("blkio.bfq.weight", w.Single(x => x.File == "blkio.weight").Fallback);
        Assert.True(w.Single(x => x.File.EndsWith(".rsvd.limit_in_bytes", StringComparison.Ordinal)).Optional);
        var dev = V1Resources.Translate(new Resources { BlockIO = new BlockIo { WeightDevice = [new WeightDevice { Major = 8, Minor = 0, Weight = 300 }] } });
        Assert.Equal(("blkio.weight_device", "8:0 300", "blkio.bfq.weight_device"), (dev[0].File, dev[0].Value, dev[0].Fallback));
    }
}
