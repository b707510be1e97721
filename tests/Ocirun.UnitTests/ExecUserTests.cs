using Ocirun.Cli.Commands;
using Ocirun.Runtime;

namespace Ocirun.UnitTests;

/// <summary>exec --user numbers, read as runc reads them (Go's strconv.Atoi) and refused in its words.</summary>
public class ExecUserTests
{
    [Theory]
    [InlineData("0", 0L)]
    [InlineData("1000", 1000L)]
    [InlineData("+7", 7L)]
    [InlineData("-1", -1L)]
    public void NumbersAsAtoiReadsThem(string text, long value) => Assert.Equal(value, ExecCommand.GoAtoi(text, "uid"));

    [Theory]
    [InlineData("nobody", "bad uid: strconv.Atoi: parsing \"nobody\": invalid syntax")]
    [InlineData("", "bad uid: strconv.Atoi: parsing \"\": invalid syntax")]
    [InlineData("1 ", "bad uid: strconv.Atoi: parsing \"1 \": invalid syntax")]
    [InlineData("-", "bad uid: strconv.Atoi: parsing \"-\": invalid syntax")]
    [InlineData("99999999999999999999", "bad uid: strconv.Atoi: parsing \"99999999999999999999\": value out of range")]
    public void WhatIsNoNumberIsRefusedAsRuncSaysIt(string text, string message) =>
        Assert.Equal(message, Assert.Throws<ContainerException>(() => ExecCommand.GoAtoi(text, "uid")).Message);
}
