using System.Globalization;
using System.Text;

namespace Ocirun.Runtime;

/// <summary>
/// Go's %q (strconv.Quote), as runc's messages quote a value and logrus a log line's message:
/// backslash and quote escaped, control characters as \n, \t or \x1b, other unprintable
/// characters as \u or \U, so that a quoted string stays on one line.
/// </summary>
public static class Quoting
{
    public static string Go(string s)
    {
        var b = new StringBuilder(s.Length + 2).Append('"');
        foreach (var r in s.EnumerateRunes())
        {
            switch (r.Value)
            {
                case '"': b.Append("\\\""); break;
                case '\\': b.Append("\\\\"); break;
                case '\a': b.Append("\\a"); break;
                case '\b': b.Append("\\b"); break;
                case '\f': b.Append("\\f"); break;
                case '\n': b.Append("\\n"); break;
                case '\r': b.Append("\\r"); break;
                case '\t': b.Append("\\t"); break;
                case '\v': b.Append("\\v"); break;
                default:
                    if (r.Value < 0x20 || r.Value == 0x7f)
                    {
                        b.Append($"\\x{r.Value:x2}");
                    }
                    else if (r.Value != ' ' && !Printable(r))
                    {
                        b.Append(r.Value < 0x10000 ? $"\\u{r.Value:x4}" : $"\\U{r.Value:x8}");
                    }
                    else
                    {
                        b.Append(r.ToString());
                    }
                    break;
            }
        }
        return b.Append('"').ToString();
    }

    /// <summary>Go's unicode.IsPrint: letters, marks, numbers, punctuation and symbols (no space but ASCII's).</summary>
    private static bool Printable(Rune r) => Rune.GetUnicodeCategory(r) switch
    {
        UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse
            or UnicodeCategory.OtherNotAssigned or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator
            or UnicodeCategory.SpaceSeparator => false,
        _ => true,
    };
}
