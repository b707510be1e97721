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
        // A property added to the document without its line in Write fails here.
        Assert.Equal(JsonSerializer.Serialize(doc, Serializer), doc.ToJson(indented: true));
    }

    [Fact]
    public void HooksGetOneCompactLine()
    {
        var doc = ContainerStateDocument.ForHook(new Spec.Model.Spec { OciVersion = "1.2.0" }, "c1", 9, "created", "/b", "/b/rootfs");
        Assert.Equal("{\"ociVersion\":\"1.2.0\",\"id\":\"c1\",\"pid\":9,\"status\":\"created\",\"bundle\":\"/b\",\"rootfs\":\"/b/rootfs\","
            + "\"created\":\"\",\"owner\":\"\"}", doc.ToJson(indented: false));
    }
}
