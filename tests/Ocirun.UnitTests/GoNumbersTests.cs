using Ocirun.Cli;

namespace Ocirun.UnitTests;

/// <summary>Go's strconv.ParseUint/ParseInt (base 10, 64 bits) and their words, as runc's update reports them.</summary>
public class GoNumbersTests
{
    [Theory]
    [InlineData("0", 0UL)]
    [InlineData("1024", 1024UL)]
    [InlineData("18446744073709551615", ulong.MaxValue)]
    public void UintsGoReads(string s, ulong n) => Assert.Equal(n, GoNumbers.ParseUint(s));

    [Theory]
    [InlineData("x", "strconv.ParseUint: parsing \"x\": invalid syntax")]
    [InlineData("-1", "strconv.ParseUint: parsing \"-1\": invalid syntax")]
    [InlineData("+1", "strconv.ParseUint: parsing \"+1\": invalid syntax")]
    [InlineData("", "strconv.ParseUint: parsing \"\": invalid syntax")]
    [InlineData(" 1", "strconv.ParseUint: parsing \" 1\": invalid syntax")]
    [InlineData("18446744073709551616", "strconv.ParseUint: parsing \"18446744073709551616\": value out of range")]
    public void UintsGoRefuses(string s, string words)
    {
        Assert.Null(GoNumbers.ParseUint(s));
        Assert.Equal(words, GoNumbers.ParseUintError(s));
    }

    [Theory]
    [InlineData("-1", -1L)]
    [InlineData("+5", 5L)]
    [InlineData("-9223372036854775808", long.MinValue)]
    [InlineData("9223372036854775807", long.MaxValue)]
    public void IntsGoReads(string s, long n) => Assert.Equal(n, GoNumbers.ParseInt(s));

    [Theory]
    [InlineData("1.5", "strconv.ParseInt: parsing \"1.5\": invalid syntax")]
    [InlineData("-", "strconv.ParseInt: parsing \"-\": invalid syntax")]
    [InlineData("9223372036854775808", "strconv.ParseInt: parsing \"9223372036854775808\": value out of range")]
    [InlineData("-9223372036854775809", "strconv.ParseInt: parsing \"-9223372036854775809\": value out of range")]
    public void IntsGoRefuses(string s, string words)
    {
        Assert.Null(GoNumbers.ParseInt(s));
        Assert.Equal(words, GoNumbers.ParseIntError(s));
    }
}
