using System.Text.Json;
using System.Text.Json.Serialization;
using Ocirun.Spec.Model;

namespace Ocirun.Spec;

// Source-generated (no reflection) so the NativeAOT binary carries no serializer metadata.
// Case-insensitive property matching mirrors Go's encoding/json, which runc uses.
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    PropertyNameCaseInsensitive = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true,
    WriteIndented = true,
    IndentSize = 2)]
[JsonSerializable(typeof(Model.Spec))]
[JsonSerializable(typeof(Model.Process))]
[JsonSerializable(typeof(Resources))]
[JsonSerializable(typeof(Model.Seccomp))]
[JsonSerializable(typeof(Features))]
[JsonSerializable(typeof(List<int>))]
[JsonSerializable(typeof(List<string>))]
public sealed partial class SpecJsonContext : JsonSerializerContext
{
}

/// <summary>Reads and writes spec documents, turning JSON errors into one-line messages.</summary>
public static class SpecJson
{
    public static Model.Spec ParseSpec(string json) => Parse(json, SpecJsonContext.Default.Spec);

    public static Model.Process ParseProcess(string json) => Parse(json, SpecJsonContext.Default.Process);

    public static Resources ParseResources(string json) => Parse(json, SpecJsonContext.Default.Resources);

    /// <summary>One line of JSON, as runc prints `list --format json` and `ps --format json`.</summary>
    public static string Compact<T>(T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> info)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = false }))
        {
            JsonSerializer.Serialize(writer, value, info);
        }
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static T Parse<T>(string json, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> info)
    {
        try
        {
            var value = JsonSerializer.Deserialize(json, info) ?? throw new SpecValidationException("json", "document is null");
            CheckDocument(json);
            return value;
        }
        catch (JsonException e)
        {
            throw new SpecValidationException("json", Describe(e), e);
        }
    }

    /// <summary>
    /// What the typed model cannot see: a string with a NUL byte would be cut short at the first
    /// syscall that takes it ("/a\0b" becomes "/a"), and a null inside an array (no list of the
    /// spec has optional elements) would reach the runtime as a missing entry. JSON carries NUL
    /// only escaped, so documents without "\u0000" or "null" are not walked.
    /// </summary>
    private static void CheckDocument(string json)
    {
        if (!json.Contains("\\u0000", StringComparison.OrdinalIgnoreCase) && !json.Contains("null", StringComparison.Ordinal))
        {
            return;
        }
        var reader = new Utf8JsonReader(System.Text.Encoding.UTF8.GetBytes(json),
            new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var inArray = new Stack<bool>();
        string property = "";
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.StartArray:
                case JsonTokenType.StartObject:
                    inArray.Push(reader.TokenType == JsonTokenType.StartArray);
                    break;
                case JsonTokenType.EndArray:
                case JsonTokenType.EndObject:
                    inArray.Pop();
                    break;
                case JsonTokenType.Null when inArray.TryPeek(out var array) && array:
                    throw new SpecValidationException("json", $"invalid JSON: null in the list \"{property}\"");
                case JsonTokenType.String:
                case JsonTokenType.PropertyName:
                    var text = reader.GetString() ?? "";
                    if (text.Contains('\0'))
                    {
                        var where = reader.TokenType == JsonTokenType.PropertyName ? "a property name" : $"the value of \"{property}\"";
                        throw new SpecValidationException("json", $"invalid JSON: {where} contains a NUL byte");
                    }
                    if (reader.TokenType == JsonTokenType.PropertyName)
                    {
                        property = text;
                    }
                    break;
            }
        }
    }

    /// <summary>
    /// "invalid JSON at line L, column C (path): what", where what is .NET's own message (<see cref="What"/>):
    /// in the published binary a resource key, which the CLI spells out (the exception goes with it).
    /// </summary>
    public static string Describe(JsonException e)
    {
        var where = e.LineNumber is { } line ? $" at line {line + 1}, column {(e.BytePositionInLine ?? 0) + 1}" : "";
        var path = e.Path is { Length: > 1 } p ? $" ({p})" : "";
        return $"invalid JSON{where}{path}: {What(e)}";
    }

    /// <summary>The error itself, without the position STJ appends (given once, in front, by <see cref="Describe"/>).</summary>
    public static string What(JsonException e)
    {
        var what = e.Message;
        int cut = what.IndexOf(" Path: ", StringComparison.Ordinal);
        return (cut >= 0 ? what[..cut] : what).TrimEnd('.');
    }
}
