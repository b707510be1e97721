namespace Ocirun.Spec;

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
}
