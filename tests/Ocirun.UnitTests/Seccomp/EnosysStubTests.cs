using Ocirun.Runtime.Seccomp;

namespace Ocirun.UnitTests.Seccomp;

public class EnosysStubTests
{
    [Fact]
    public void SixInstructionsThatFallThroughIntoTheFilter()
    {
        var stub = EnosysStub.For(450);
        Assert.Equal(6 * 8, stub.Length);
        // Instruction 4 compares nr with the newest known syscall; 5 returns ERRNO(ENOSYS).
        Assert.Equal(0x25, BitConverter.ToUInt16(stub, 4 * 8));
        Assert.Equal(450u, BitConverter.ToUInt32(stub, 4 * 8 + 4));
        Assert.Equal(0x00050000u | 38, BitConverter.ToUInt32(stub, 5 * 8 + 4));
        // Every jump lands inside the stub or on the first instruction after it.
        for (int i = 0; i < 6; i++)
        {
            ushort code = BitConverter.ToUInt16(stub, i * 8);
            if ((code & 0x07) == 0x05)
            {
                Assert.InRange(i + 1 + stub[i * 8 + 2], 0, 6);
                Assert.InRange(i + 1 + stub[i * 8 + 3], 0, 6);
            }
        }
    }
}
