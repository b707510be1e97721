using Ocirun.Spec.Model;

namespace Ocirun.UnitTests;

/// <summary>The text Go's encoding/json writes (runc prints state and list with it), byte for byte.</summary>
public class GoJsonWriterTests
{
    private static string Compact(Action<GoJsonWriter> write)
    {
        var w = new GoJsonWriter(indented: false);
        write(w);
        return w.ToString();
    }

    [Theory]
    [InlineData("plain", "\"plain\"")]
    [InlineData("q\"b\\", "\"q\\\"b\\\\\"")]
    [InlineData("\b\f\n\r\t", "\"\\b\\f\\n\\r\\t\"")]
    [InlineData("\u0001\u001f", "\"\\u0001\\u001f\"")]
    [InlineData("<a & b>", "\"\\u003ca \\u0026 b\\u003e\"")]
    [InlineData("\u2028\u2029", "\"\\u2028\\u2029\"")]
    // Left as they are (System.Text.Json's default encoder escapes every one of these).
    [InlineData("é + ` ' / \u007f \U0001F600", "\"é + ` ' / \u007f \U0001F600\"")]
    public void StringsAreEscapedAsGoEscapesThem(string value, string json)
    {
        Assert.Equal("{\"k\":" + json + "}", Compact(w => { w.StartObject(); w.String("k", value); w.EndObject(); }));
    }

    [Fact]
    public void ALoneSurrogateIsWrittenAsTheReplacementCharacter()
    {
        // Not UTF-8: Go writes U+FFFD for invalid bytes. (Built from chars: test data
        // attributes would not carry a lone surrogate through.)
        var value = new string(['a', (char)0xD800, 'b']);
        Assert.Equal("{\"k\":\"a\ufffdb\"}", Compact(w => { w.StartObject(); w.String("k", value); w.EndObject(); }));
    }

    [Fact]
    public void MapKeysComeInCodePointOrder()
    {
        // UTF-16 order would put the emoji (a surrogate pair, 0xD83D…) before U+FFFF.
        var map = new Dictionary<string, string> { ["b"] = "1", ["\U0001F600"] = "2", ["\uffff"] = "3", ["B"] = "4", ["a"] = "5" };
        Assert.Equal("{\"m\":{\"B\":\"4\",\"a\":\"5\",\"b\":\"1\",\"\uffff\":\"3\",\"\U0001F600\":\"2\"}}",
            Compact(w => { w.StartObject(); w.Map("m", map); w.EndObject(); }));
    }

    [Fact]
    public void IndentedLikeMarshalIndentWithTwoSpaces()
    {
        var w = new GoJsonWriter(indented: true);
        w.StartObject();
        w.Number("n", -3);
        w.Map("empty", new Dictionary<string, string>());
        w.StartArray("list");
        w.StartObject();
        w.String("x", "y");
        w.EndObject();
        w.EndArray();
        w.EndObject();
        Assert.Equal("{\n  \"n\": -3,\n  \"empty\": {},\n  \"list\": [\n    {\n      \"x\": \"y\"\n    }\n  ]\n}", w.ToString());
    }

    [Fact]
    public void ANilSliceIsNull()
    {
        Assert.Equal("null", Compact(w => w.Null()));
    }
}
