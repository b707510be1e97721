using Ocirun.Runtime.Security;
using Ocirun.Spec.Known;
using Ocirun.Spec.Model;

namespace Ocirun.UnitTests;

/// <summary>CapabilitySet: capability names to bit masks.</summary>
public class CapabilitySetTests
{
    [Theory]
    [InlineData(0ul)]
    [InlineData(1ul << 0, "CAP_CHOWN")]
    [InlineData((1ul << 5) | (1ul << 10) | (1ul << 29), "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_AUDIT_WRITE")]
    [InlineData(1ul << 21, "CAP_SYS_ADMIN", "CAP_SYS_ADMIN")]
    [InlineData(0ul, "cap_sys_admin")] // runc's names are exact: a lowercase one is unknown, left out
    [InlineData(1ul << 40, "CAP_CHECKPOINT_RESTORE")]
    [InlineData(1ul << 7, "CAP_SETUID", "CAP_UNKNOWN")]
    public void Mask(ulong expected, params string[] names) => Assert.Equal(expected, CapabilitySet.Mask(names));

    [Fact]
    public void MaskOfNullIsEmpty() => Assert.Equal(0ul, CapabilitySet.Mask(null));

    [Fact]
    public void UnknownNamesAndOnesTheKernelLacksAreLeftOutOnce()
    {
        // CAP_CHECKPOINT_RESTORE is 40: a kernel whose last is 39 lacks it.
        var caps = new Spec.Model.Capabilities
        {
            Bounding = ["CAP_KILL", "CAP_NOPE", "CAP_CHECKPOINT_RESTORE"], Effective = ["CAP_NOPE", "cap_kill"],
        };
        Assert.Equal(["CAP_CHECKPOINT_RESTORE", "CAP_NOPE", "cap_kill"], CapabilitySet.Unavailable(caps, lastCap: 39));
        Assert.Equal(["CAP_NOPE", "cap_kill"], CapabilitySet.Unavailable(caps, lastCap: 40));
    }

    [Fact]
    public void AllKnownFitInTheMask() =>
        Assert.Equal((1ul << (CapabilityNames.Last + 1)) - 1, CapabilitySet.Mask(CapabilityNames.All));

    [Fact]
    public void FromMapsEachSet()
    {
        var set = CapabilitySet.From(new Capabilities
        {
            Bounding = ["CAP_CHOWN"], Effective = ["CAP_DAC_OVERRIDE"], Inheritable = ["CAP_DAC_READ_SEARCH"],
            Permitted = ["CAP_FOWNER"], Ambient = ["CAP_FSETID"],
        });
        Assert.Equal(new CapabilitySet(1, 2, 4, 8, 16), set);
    }

    [Fact]
    public void FromNullIsEmpty() => Assert.Equal(new CapabilitySet(0, 0, 0, 0, 0), CapabilitySet.From(null));

    [Fact]
    public void KernelLastCapIsAtLeastOurs() => Assert.InRange(CapabilitySet.KernelLastCap(), 36, 63);
}
