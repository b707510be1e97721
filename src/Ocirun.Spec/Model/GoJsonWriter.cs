using System.Globalization;
using System.Text;

namespace Ocirun.Spec.Model;

/// <summary>
/// JSON text as Go's encoding/json writes it (Marshal, or MarshalIndent with two spaces), for
/// the documents runc prints from Go values: `state`, `list --format json` and the state hooks
/// read. Map keys come sorted, strings are escaped as Go escapes them (quote, backslash,
/// control characters, &lt; &gt; &amp; and U+2028/U+2029) and every other character is written
/// as it is. Plain string building: no serializer and no JavaScriptEncoder, whose tables cost a
/// `state` about ten page faults to set up.
/// </summary>
public sealed class GoJsonWriter(bool indented)
{
    private readonly StringBuilder _text = new(512);
    // One entry per open object or array: whether it has a member yet.
    private readonly Stack<bool> _open = new();

    public override string ToString() => _text.ToString();

    public void StartObject(string? name = null) => Start(name, '{');

    public void EndObject() => End('}');

    public void StartArray(string? name = null) => Start(name, '[');

    public void EndArray() => End(']');

    public void String(string name, string value)
    {
        Member(name);
        Quoted(value);
    }

    public void Number(string name, long value)
    {
        Member(name);
        _text.Append(value.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>A map[string]string: its keys in Go's order (by UTF-8 bytes, which is code point order).</summary>
    public void Map(string name, IReadOnlyDictionary<string, string> map)
    {
        StartObject(name);
        var keys = map.Keys.ToArray();
        Array.Sort(keys, CodePointOrder);
        foreach (var key in keys)
        {
            String(key, map[key]);
        }
        EndObject();
    }

    public void Null() => Member(null, "null");

    private void Start(string? name, char bracket)
    {
        Member(name);
        _text.Append(bracket);
        _open.Push(false);
    }

    private void End(char bracket)
    {
        if (_open.Pop())
        {
            NewLine();
        }
        _text.Append(bracket);
    }

    /// <summary>The separator, line break and name before a value (none at the top level).</summary>
    private void Member(string? name, string? literal = null)
    {
        if (_open.Count > 0)
        {
            if (_open.Peek())
            {
                _text.Append(',');
            }
            _open.Pop();
            _open.Push(true);
            NewLine();
        }
        if (name != null)
        {
            Quoted(name);
            _text.Append(indented ? ": " : ":");
        }
        _text.Append(literal);
    }

    private void NewLine()
    {
        if (indented)
        {
            _text.Append('\n').Append(' ', 2 * _open.Count);
        }
    }

    private void Quoted(string s)
    {
        _text.Append('"');
        foreach (var rune in s.EnumerateRunes())
        {
            int c = rune.Value;
            switch (c)
            {
                case '"': _text.Append("\\\""); break;
                case '\\': _text.Append("\\\\"); break;
                case '\b': _text.Append("\\b"); break;
                case '\f': _text.Append("\\f"); break;
                case '\n': _text.Append("\\n"); break;
                case '\r': _text.Append("\\r"); break;
                case '\t': _text.Append("\\t"); break;
                case < 0x20 or '<' or '>' or '&' or 0x2028 or 0x2029:
                    _text.Append("\\u").Append(c.ToString("x4", CultureInfo.InvariantCulture));
                    break;
                default:
                    // A lone surrogate enumerates as U+FFFD, as Go writes invalid UTF-8.
                    _text.Append(rune.ToString());
                    break;
            }
        }
        _text.Append('"');
    }

    private static int CodePointOrder(string a, string b)
    {
        var x = a.EnumerateRunes();
        var y = b.EnumerateRunes();
        while (true)
        {
            bool more = x.MoveNext(), moreB = y.MoveNext();
            if (!more || !moreB)
            {
                return more.CompareTo(moreB);
            }
            if (x.Current.Value != y.Current.Value)
            {
                return x.Current.Value.CompareTo(y.Current.Value);
            }
        }
    }
}
