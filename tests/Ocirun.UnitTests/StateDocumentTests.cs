using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Ocirun.Spec.Model;

namespace Ocirun.UnitTests;

/// <summary>The state document's own writer: what `state`, `list` and hooks print.</summary>
public class StateDocumentTests
{
    /// <summary>What runc-style serialization gives: camelCase, nulls left out, declaration order.</summary>
    private static readonly JsonSerializerOptions Serializer = new()
    {
        PropertyNameCaseInsensitive = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = true,
        IndentSize = 2,
        TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
    };

    public static TheoryData<ContainerStateDocument> Documents() =>
    [
        new ContainerStateDocument
        {
            OciVersion = "1.2.1", Id = "c1", Pid = 42, Status = "running", Bundle = "/b \"q\" é", Rootfs = "/b/rootfs",
            Created = "2026-12-02T16:00:00.123456789Z", Annotations = new() { ["a.b"] = "v", ["<x>"] = "&" }, Owner = "root",
        },
        new ContainerStateDocument { OciVersion = "1.0.2", Id = "c2", Status = "stopped", Bundle = "/b", Annotations = null },
        ContainerStateDocument.ForHook(new Spec.Model.Spec { OciVersion = "1.2.0", Annotations = [] }, "c3", 7, "creating", "/b", "/r"),
    ];

    [Theory]
    [MemberData(nameof(Documents))]
    public void WritesEveryPropertyAsTheSerializerWould(ContainerStateDocument doc)
    {
        // A property added to the document without its line in Write fails here. The text
        // is Go's (GoJsonWriterTests), so the two are compared as values: read back and
        // written again, annotations sorted and left out when empty, as Go's omitempty does.
        var readBack = JsonSerializer.Deserialize<ContainerStateDocument>(doc.ToJson(indented: true), Serializer)!;
        Assert.Equal(JsonSerializer.Serialize(Normalized(doc), Serializer), JsonSerializer.Serialize(Normalized(readBack), Serializer));
    }

    private static ContainerStateDocument Normalized(ContainerStateDocument d) => new()
    {
        OciVersion = d.OciVersion, Id = d.Id, Pid = d.Pid, Status = d.Status, Bundle = d.Bundle, Rootfs = d.Rootfs,
        Created = d.Created, Owner = d.Owner,
        Annotations = d.Annotations is { Count: > 0 } a ? a.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToDictionary() : null,
    };

    [Fact]
    public void IndentedAsRuncPrintsIt()
    {
        var doc = new ContainerStateDocument
        {
            OciVersion = "1.2.1", Id = "c1", Pid = 42, Status = "running", Bundle = "/b", Rootfs = "/b/rootfs",
            Created = "2026-12-02T16:00:00Z", Annotations = new() { ["z"] = "<1>", ["a"] = "2" },
        };
        Assert.Equal("""
            {
              "ociVersion": "1.2.1",
              "id": "c1",
              "pid": 42,
              "status": "running",
              "bundle": "/b",
              "rootfs": "/b/rootfs",
              "created": "2026-12-02T16:00:00Z",
              "annotations": {
                "a": "2",
                "z": "\u003c1\u003e"
              },
              "owner": ""
            }
            """, doc.ToJson(indented: true));
    }

    [Fact]
    public void HooksGetOneCompactLine()
    {
        var doc = ContainerStateDocument.ForHook(new Spec.Model.Spec { OciVersion = "1.2.0" }, "c1", 9, "created", "/b", "/b/rootfs");
        Assert.Equal("{\"ociVersion\":\"1.2.0\",\"id\":\"c1\",\"pid\":9,\"status\":\"created\",\"bundle\":\"/b\",\"rootfs\":\"/b/rootfs\","
            + "\"created\":\"\",\"owner\":\"\"}", doc.ToJson(indented: false));
    }
}
