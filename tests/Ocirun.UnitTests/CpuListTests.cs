using Ocirun.Spec;
using Ocirun.Spec.Validation;

namespace Ocirun.UnitTests;

/// <summary>CPU lists (execCPUAffinity) as affinity masks, and what runc refuses.</summary>
public sealed class CpuListTests
{
    [Theory]
    [InlineData("0", new byte[] { 0x01 })]
    [InlineData("1", new byte[] { 0x02 })]
    [InlineData("0-3,5", new byte[] { 0x2f })]
    [InlineData(" 0 , 2 ,,", new byte[] { 0x05 })]
    [InlineData("7-9", new byte[] { 0x80, 0x03 })]
    public void ListsBecomeMasks(string list, byte[] expected)
    {
        var mask = CpuList.Parse(list)!;
        Assert.Equal(8, mask.Length);
        Assert.Equal(expected, mask.Take(expected.Length));
        Assert.All(mask.Skip(expected.Length), b => Assert.Equal(0, b));
    }

    [Fact]
    public void MaskIsWholeWordsUpToTheHighestCpu() => Assert.Equal(16, CpuList.Parse("64")!.Length);

    [Fact]
    public void EmptyMeansUnset() => Assert.Null(CpuList.Parse(""));

    [Theory]
    [InlineData("3-1", "invalid range: 3-1")]
    [InlineData(",", "no members found in set \",\"")]
    [InlineData("x", "invalid CPU number \"x\"")]
    [InlineData("-1", "invalid CPU number \"\"")]
    [InlineData("65537", "values larger than 65536 are not supported")]
    public void BadListsAreRefused(string list, string message) =>
        Assert.Equal(message, Assert.Throws<FormatException>(() => CpuList.Parse(list)).Message);

    [Fact]
    public void TheValidatorNamesTheBadSetAsRuncDoes()
    {
        var p = SpecJson.ParseProcess("""{"args":["true"],"cwd":"/","execCPUAffinity":{"initial":"0","final":"2-1"}}""");
        var e = Assert.Throws<SpecValidationException>(() => SpecValidator.CheckProcess(p));
        Assert.Equal("bad CPUAffinity.Final: invalid range: 2-1", e.Message);
    }
}
