using System.Text.Json;
using Ocirun.Spec;
using Ocirun.Spec.Model;
using Ocirun.Spec.Validation;

namespace Ocirun.UnitTests;

/// <summary>SpecJson: Go-like key matching, the spec's field names on output, and one-line errors.</summary>
public class SpecJsonTests
{
    [Fact]
    public void KeysMatchCaseInsensitively()
    {
        var s = SpecJson.ParseSpec("""
            {"OCIVERSION":"1.0.0","Root":{"PATH":"rootfs","ReadOnly":true},
             "process":{"ARGS":["sh"],"CWD":"/","User":{"UID":7}},
             "linux":{"UIDMAPPINGS":[{"containerid":1,"HOSTID":2,"Size":3}]}}
            """);
        Assert.Equal("1.0.0", s.OciVersion);
        Assert.True(s.Root!.Readonly);
        Assert.Equal(7u, s.Process!.User.Uid);
        Assert.Equal((1u, 2u, 3u), (s.Linux!.UidMappings![0].ContainerId, s.Linux.UidMappings[0].HostId, s.Linux.UidMappings[0].Size));
    }

    [Fact]
    public void IdMappingsUseSpecFieldNames()
    {
        var json = JsonSerializer.Serialize(new IdMapping { ContainerId = 0, HostId = 1000, Size = 65536 },
            SpecJsonContext.Default.IdMapping);
        Assert.Contains("\"containerID\": 0", json);
        Assert.Contains("\"hostID\": 1000", json);
    }

    [Fact]
    public void RoundTripKeepsSpecFieldNames()
    {
        var spec = SpecJson.ParseSpec(TestHelpers.Fixture("valid/podman-config.json"));
        var json = JsonSerializer.Serialize(spec, SpecJsonContext.Default.Spec);
        foreach (var key in new[] { "\"ociVersion\"", "\"uidMappings\"", "\"hostID\"", "\"containerID\"", "\"blockIO\"",
            "\"throttleReadIOPSDevice\"", "\"throttleReadBpsDevice\"", "\"classID\"", "\"defaultErrnoRet\"",
            "\"valueTwo\"", "\"additionalGids\"", "\"rootfsPropagation\"", "\"maskedPaths\"", "\"createRuntime\"",
            "\"disableOOMKiller\"", "\"hugepageLimits\"", "\"pageSize\"", "\"cgroupsPath\"", "\"fileMode\"" })
        {
            Assert.Contains(key, json);
        }
        // Names are camelCase: no property starts with an upper-case letter.
        Assert.DoesNotMatch("\"[A-Z][A-Za-z]*\":", json);
    }

    [Fact]
    public void RoundTripPreservesValues()
    {
        var original = TestHelpers.Fixture("valid/podman-config.json");
        var once = JsonSerializer.Serialize(SpecJson.ParseSpec(original), SpecJsonContext.Default.Spec);
        var twice = JsonSerializer.Serialize(SpecJson.ParseSpec(once), SpecJsonContext.Default.Spec);
        Assert.Equal(once, twice);
        Assert.Equal(1000ul, SpecJson.ParseSpec(once).Linux!.Resources!.BlockIO!.ThrottleReadIopsDevice![0].Rate);
    }

    [Fact]
    public void NullMembersAreNotWritten()
    {
        var json = JsonSerializer.Serialize(TestHelpers.MinimalSpec(), SpecJsonContext.Default.Spec);
        Assert.DoesNotContain("null", json);
        Assert.DoesNotContain("hooks", json);
    }

    [Theory]
    [InlineData("1.0.0")]
    [InlineData("1.0.2-dev")]
    [InlineData("1.1.0")]
    [InlineData("1.2.0")]
    [InlineData("1.3.0")]
    [InlineData("1.3.0+build.5")]
    public void SupportedVersionsAreAccepted(string version)
    {
        var spec = TestHelpers.MinimalSpec();
        spec.OciVersion = version;
        SpecValidator.Validate(TestHelpers.RoundTrip(spec));
    }

    [Theory]
    [InlineData("2.0.0")]
    [InlineData("0.9.0")]
    [InlineData("1.0")]
    [InlineData("v1.0.0")]
    [InlineData("")]
    public void OtherVersionsAreRejected(string version)
    {
        var e = Assert.Throws<SpecValidationException>(() => SpecValidator.CheckVersion(version));
        Assert.Equal("oci-version", e.Rule);
    }

    [Fact]
    public void CheckVersionReturnsItsParts() => Assert.Equal((1, 2, 0), SpecValidator.CheckVersion("1.2.0-rc.1"));

    [Theory]
    [InlineData("{")]
    [InlineData("[]")]
    [InlineData("null")]
    [InlineData("{\"ociVersion\": 1}")]
    public void BadJsonIsOneSpecValidationException(string json)
    {
        var e = Assert.Throws<SpecValidationException>(() => SpecJson.ParseSpec(json));
        Assert.Equal("json", e.Rule);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void JsonErrorsSayWhereAndSpellOutResourceKeys()
    {
        var e = new JsonException("ExpectedStartOfPropertyNotFound, b Path: $ | LineNumber: 0 | BytePositionInLine: 1.", "$", 0, 1);
        Assert.Equal("invalid JSON at line 1, column 2: ExpectedStartOfPropertyNotFound, b", SpecJson.Describe(e));
        Assert.Equal("invalid JSON at line 1, column 2: expected start of property not found: b",
            Ocirun.Cli.Cli.Describe(new SpecValidationException("json", SpecJson.Describe(e), e)));
        var typed = new JsonException("DeserializeUnableToConvertValue, Ocirun.Spec.Model.Process Path: $.process | LineNumber: 2 | BytePositionInLine: 13.",
            "$.process", 2, 13);
        Assert.Equal("container x: invalid JSON at line 3, column 14 ($.process): cannot convert the value to object",
            Ocirun.Cli.Cli.Describe(new Ocirun.Runtime.ContainerException("container x: " + SpecJson.Describe(typed), inner: typed)));
    }

    [Theory]
    [InlineData("System.String", "string")]
    [InlineData("System.Nullable`1[System.UInt32]", "uint32")]
    [InlineData("System.Boolean", "bool")]
    [InlineData("System.Collections.Generic.List`1[System.String]", "array")]
    [InlineData("System.Collections.Generic.Dictionary`2[System.String,System.String]", "object")]
    [InlineData("Ocirun.Spec.Model.User", "object")]
    public void DotnetTypesReadAsJsonTypes(string dotnet, string json) => Assert.Equal(json, Ocirun.Cli.ResourceKeyText.JsonTypeName(dotnet));

    [Theory]
    [InlineData("""{"ociVersion":"1.0.0","process":{"args":["a\u0000b"]}}""", "the value of \"args\" contains a NUL byte")]
    [InlineData("""{"ociVersion":"1.0.0","annotations":{"a\u0000":"b"}}""", "a property name contains a NUL byte")]
    [InlineData("""{"ociVersion":"1.0.0","process":{"env":["A=1", null]}}""", "null in the list \"env\"")]
    public void NulBytesAndNullListEntriesAreRefused(string json, string message)
    {
        var e = Assert.Throws<SpecValidationException>(() => SpecJson.ParseSpec(json));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void NullOutsideListsIsFine() =>
        Assert.Null(SpecJson.ParseSpec("""{"ociVersion":"1.0.0","hooks":null}""").Hooks);

    [Fact]
    public void ParseProcessReadsAProcessDocument()
    {
        var p = SpecJson.ParseProcess("""{"args":["ls","-l"],"cwd":"/tmp","env":["X=1"],"terminal":true}""");
        Assert.Equal(["ls", "-l"], p.Args!);
        Assert.True(p.Terminal);
        SpecValidator.CheckProcess(p);
    }
}
