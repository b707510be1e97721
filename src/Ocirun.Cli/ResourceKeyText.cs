using System.Text.Json;
using Ocirun.Spec;

namespace Ocirun.Cli;

/// <summary>
/// The published binary is built with UseSystemResourceKeys: .NET's own exception messages are
/// then a resource key and its argument ("IO_PathNotFound_Path, /x") rather than a sentence.
/// </summary>
public static class ResourceKeyText
{
    /// <summary>The key and its argument when message is such a key; null for an ordinary message.</summary>
    public static (string Key, string Argument)? Split(string message)
    {
        int comma = message.IndexOf(", ", StringComparison.Ordinal);
        var key = comma > 0 ? message[..comma] : message;
        return key.Length > 0 && key.All(c => char.IsAsciiLetter(c) || c == '_')
            ? (key, comma > 0 ? message[(comma + 2)..] : "")
            : null;
    }

    /// <summary>"ExpectedStartOfPropertyNotFound" → "expected start of property not found"; "IO_PathTooLong_Path" → "io path too long path".</summary>
    public static string Words(string key) =>
        string.Concat(key.Replace('_', ' ').Select((c, i) => char.IsUpper(c) && i > 0 && key[i - 1] != '_' && !char.IsUpper(key[i - 1])
            ? " " + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString())).Replace("  ", " ");

    /// <summary>
    /// e's message with the JSON error it quotes spelt out, where a JsonException is its cause:
    /// "…: ExpectedStartOfPropertyNotFound, b" becomes "…: expected start of property not found: b".
    /// </summary>
    public static string InJsonErrors(Exception e)
    {
        for (var cause = e; cause != null; cause = cause.InnerException)
        {
            if (cause is JsonException json && SpecJson.What(json) is { Length: > 0 } what)
            {
                return e.Message.Replace(what, JsonWords(what), StringComparison.Ordinal);
            }
        }
        return e.Message;
    }

    /// <summary>A JSON error as words; a failed conversion names the JSON type, not the .NET one.</summary>
    public static string JsonWords(string what) => Split(what) switch
    {
        ("DeserializeUnableToConvertValue", var type) => $"cannot convert the value to {JsonTypeName(type)}",
        (var key, var argument) => Words(key) + (argument.Length > 0 ? ": " + argument : ""),
        null => what,
    };

    /// <summary>The JSON shape a .NET type name stands for: "System.Nullable`1[System.UInt32]" → "uint32".</summary>
    public static string JsonTypeName(string dotnetType)
    {
        var t = dotnetType.StartsWith("System.Nullable`1[", StringComparison.Ordinal) ? dotnetType[18..^1] : dotnetType;
        if (t.Contains("List`1", StringComparison.Ordinal) || t.EndsWith("[]", StringComparison.Ordinal))
        {
            return "array";
        }
        if (t.Contains("Dictionary`2", StringComparison.Ordinal) || t.StartsWith("Ocirun.", StringComparison.Ordinal))
        {
            return "object";
        }
        return t switch
        {
            "System.String" => "string",
            "System.Boolean" => "bool",
            "System.Double" or "System.Single" => "number",
            _ when t.StartsWith("System.", StringComparison.Ordinal) => t[7..].ToLowerInvariant(),
            _ => t,
        };
    }
}
