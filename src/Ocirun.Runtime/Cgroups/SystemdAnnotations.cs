using System.Globalization;
using System.Text;

namespace Ocirun.Runtime.Cgroups;

/// <summary>
/// Unit properties a spec gives the systemd driver as annotations, as runc takes them (pure):
/// "org.systemd.property.NAME" = a value in GVariant's text form ("uint64 123", "456", "true",
/// "'inactive-or-failed'", "['a', 'b']"). A NAME ending in a lowercase letter and "Sec" is
/// given in seconds and sent as NAMEUSec in microseconds, as systemd's D-Bus API names it
/// (TimeoutStopSec=456 is TimeoutStopUSec=456000000). They go after the driver's own, which
/// they may override.
/// </summary>
public static class SystemdAnnotations
{
    public const string Prefix = "org.systemd.property.";

    public static List<SystemdProperty> Parse(IReadOnlyDictionary<string, string>? annotations)
    {
        var props = new List<SystemdProperty>();
        // Sorted: the order systemd gets them in does not depend on the JSON's.
        foreach (var (key, text) in (annotations ?? new Dictionary<string, string>()).OrderBy(a => a.Key, StringComparer.Ordinal))
        {
            if (!key.StartsWith(Prefix, StringComparison.Ordinal))
            {
                continue;
            }
            var name = key[Prefix.Length..];
            if (name.Length < 3)
            {
                throw new ContainerException($"annotation {key} name incorrect: too short");
            }
            if (!name.All(char.IsAsciiLetter))
            {
                throw new ContainerException($"annotation {key} name incorrect: contains non-alphabetic character");
            }
            object value;
            try
            {
                value = ParseValue(text);
                if (name.Length > 3 && name.EndsWith("Sec", StringComparison.Ordinal) && name[^4] is >= 'a' and <= 'z')
                {
                    name = name[..^3] + "USec";
                    value = Microseconds(value);
                }
            }
            catch (FormatException e)
            {
                throw new ContainerException($"annotation {key}={text} value parse error: {e.Message}");
            }
            props.Add(new SystemdProperty(name, value));
        }
        return props;
    }

    private static ulong Microseconds(object seconds) => seconds switch
    {
        byte b => b * 1000000UL,
        short n => unchecked((ulong)n * 1000000UL),
        ushort q => q * 1000000UL,
        int i => unchecked((ulong)i * 1000000UL),
        uint u => u * 1000000UL,
        long x => unchecked((ulong)x * 1000000UL),
        ulong t => t * 1000000UL,
        double d => (ulong)(d * 1000000),
        _ => throw new FormatException("not a number"),
    };

    /// <summary>
    /// The GVariant text forms unit properties take: booleans, numbers (int32 unless a type
    /// keyword says otherwise, double with a point or exponent), strings in single or double
    /// quotes, and arrays of strings.
    /// </summary>
    public static object ParseValue(string text)
    {
        var s = text.Trim();
        var space = s.IndexOf(' ');
        if (space > 0 && Typed(s[..space], s[(space + 1)..].Trim()) is { } typed)
        {
            return typed;
        }
        if (s is "true" or "false")
        {
            return s == "true";
        }
        if (s.Length >= 2 && s[0] is '\'' or '"')
        {
            return Str(s);
        }
        if (s.StartsWith('[') && s.EndsWith(']'))
        {
            var inner = s[1..^1].Trim();
            return inner.Length == 0 ? throw new FormatException("the type of an empty array is unknown (write @as [])")
                : SplitStrings(inner).Select(Str).ToArray();
        }
        if (s.StartsWith("@as ", StringComparison.Ordinal) && s[4..].Trim() == "[]")
        {
            return Array.Empty<string>();
        }
        if (long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var whole))
        {
            return whole is >= int.MinValue and <= int.MaxValue ? (int)whole : throw new FormatException($"{s} does not fit an int32 (give a type: int64 {s})");
        }
        if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
        {
            return d;
        }
        throw new FormatException($"cannot read {Quoting.Go(s)} as a boolean, number, string or array of strings");
    }

    private static readonly string[] TypeKeywords = ["byte", "int16", "uint16", "int32", "uint32", "int64", "uint64", "double", "boolean"];

    /// <summary>A number (or boolean) after its type keyword; null when keyword is none.</summary>
    private static object? Typed(string keyword, string number)
    {
        if (!TypeKeywords.Contains(keyword))
        {
            return null;
        }
        const NumberStyles integer = NumberStyles.AllowLeadingSign;
        var c = CultureInfo.InvariantCulture;
        object? value = keyword switch
        {
            "byte" => byte.TryParse(number, integer, c, out var y) ? y : null,
            "int16" => short.TryParse(number, integer, c, out var n) ? n : null,
            "uint16" => ushort.TryParse(number, integer, c, out var q) ? q : null,
            "int32" => int.TryParse(number, integer, c, out var i) ? i : null,
            "uint32" => uint.TryParse(number, integer, c, out var u) ? u : null,
            "int64" => long.TryParse(number, integer, c, out var x) ? x : null,
            "uint64" => ulong.TryParse(number, integer, c, out var t) ? t : null,
            "double" => double.TryParse(number, NumberStyles.Float, c, out var d) ? d : null,
            _ => number is "true" or "false" ? number == "true" : null,
        };
        return value ?? throw new FormatException($"{number} is not a {keyword}");
    }

    /// <summary>A quoted string with GVariant's escapes.</summary>
    private static string Str(string quoted)
    {
        var q = quoted[0];
        if (quoted.Length < 2 || quoted[^1] != q)
        {
            throw new FormatException($"unterminated string {quoted}");
        }
        var b = new StringBuilder();
        for (int i = 1; i < quoted.Length - 1; i++)
        {
            var c = quoted[i];
            if (c == q)
            {
                throw new FormatException($"unescaped {q} in {quoted}");
            }
            if (c != '\\')
            {
                b.Append(c);
                continue;
            }
            if (++i >= quoted.Length - 1)
            {
                throw new FormatException($"unterminated escape in {quoted}");
            }
            b.Append(quoted[i] switch { 'n' => '\n', 't' => '\t', 'r' => '\r', 'a' => '\a', 'b' => '\b', 'f' => '\f', 'v' => '\v', var e => e });
        }
        return b.ToString();
    }

    /// <summary>"'a', 'b,c'" as its quoted elements.</summary>
    private static IEnumerable<string> SplitStrings(string inner)
    {
        int i = 0;
        while (i < inner.Length)
        {
            var q = inner[i];
            if (q is not ('\'' or '"'))
            {
                throw new FormatException("only arrays of strings are taken");
            }
            int end = i + 1;
            while (end < inner.Length && inner[end] != q)
            {
                end += inner[end] == '\\' ? 2 : 1;
            }
            if (end >= inner.Length)
            {
                throw new FormatException($"unterminated string in [{inner}]");
            }
            yield return inner[i..(end + 1)];
            i = end + 1;
            while (i < inner.Length && inner[i] == ' ')
            {
                i++;
            }
            if (i < inner.Length && inner[i++] != ',')
            {
                throw new FormatException($"expected , in [{inner}]");
            }
            while (i < inner.Length && inner[i] == ' ')
            {
                i++;
            }
        }
    }
}
