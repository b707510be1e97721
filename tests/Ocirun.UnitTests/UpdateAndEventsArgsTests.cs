using Ocirun.Cli;
using Ocirun.Cli.Commands;
using Ocirun.Runtime;

namespace Ocirun.UnitTests;

/// <summary>update's sizes and events' interval, read and refused as runc reads and refuses them.</summary>
public class UpdateAndEventsArgsTests
{
    [Theory]
    [InlineData("1024", 1024L)]
    [InlineData("512k", 512L << 10)]
    [InlineData("256m", 256L << 20)]
    [InlineData("1g", 1L << 30)]
    [InlineData("1GB", 1L << 30)]
    [InlineData("-1", -1L)]
    public void SizesInBinaryUnits(string text, long bytes) => Assert.Equal(bytes, UpdateCommand.ParseSize(text));

    [Theory]
    [InlineData("abc")]
    [InlineData("12q")]
    [InlineData("")]
    public void WhatIsNoSizeIsRefusedAsRuncSaysIt(string text) =>
        Assert.Equal($"invalid value for memory: invalid size: '{text}'", Assert.Throws<ContainerException>(() => UpdateCommand.ParseSize(text)).Message);

    [Theory]
    [InlineData("5s", 5000)]
    [InlineData("100ms", 100)]
    [InlineData("1m", 60000)]
    public void IntervalsAreGoDurations(string text, double ms) => Assert.Equal(ms, EventsCommand.ParseInterval(text).TotalMilliseconds);

    [Fact]
    public void AZeroIntervalIsRuncsOwnError() =>
        Assert.Equal("duration interval must be greater than 0", Assert.Throws<ContainerException>(() => EventsCommand.ParseInterval("0s")).Message);

    [Fact]
    public void WhatIsNoDurationIsAFlagError() =>
        Assert.Throws<UsageException>(() => EventsCommand.ParseInterval("soon"));
}
