namespace Ocirun.Cli;

/// <summary>How an option takes its value.</summary>
public enum OptKind
{
    Bool,
    Value,
    Multi,
}

public sealed record OptSpec(string Name, OptKind Kind, params string[] Aliases);

/// <summary>Options and positional arguments of one command line section.</summary>
public sealed class ParsedArgs
{
    public Dictionary<string, List<string>> Values { get; } = new();
    public List<string> Positional { get; } = new();

    public bool Flag(string name) => Values.TryGetValue(name, out var v) && v[^1] != "false";

    public string? Get(string name) => Values.TryGetValue(name, out var v) ? v[^1] : null;

    public List<string> All(string name) => Values.TryGetValue(name, out var v) ? v : new();
}

public sealed class UsageException(string message) : Exception(message)
{
    /// <summary>
    /// urfave/cli's words for a number flag it cannot read: "parse error", or "value out of
    /// range" for digits too many for it.
    /// </summary>
    public static UsageException BadNumber(string value, string flag) =>
        new($"invalid value \"{value}\" for flag -{flag}: {(GoNumbers.ParseUintError(value).EndsWith("value out of range", StringComparison.Ordinal) ? "value out of range" : "parse error")}");
}

/// <summary>
/// Go's flag grammar as runc (urfave/cli) accepts it: -x and --x alike, --x=v or --x v,
/// booleans with optional =true|false, repeated flags, and parsing stops at the first
/// positional argument or at "--" (exec and ps); for the other commands the command's flags
/// may also follow its arguments, as urfave/cli reorders them.
/// </summary>
public static class ArgParser
{
    public static ParsedArgs Parse(IReadOnlyList<string> args, IReadOnlyList<OptSpec> specs, out int consumed,
        bool stopAtPositional = true)
    {
        var result = new ParsedArgs();
        int i = 0;
        for (; i < args.Count; i++)
        {
            var a = args[i];
            if (a == "--")
            {
                i++;
                break;
            }
            if (a.Length < 2 || a[0] != '-')
            {
                if (stopAtPositional)
                {
                    break;
                }
                result.Positional.Add(a);
                continue;
            }
            var body = a.TrimStart('-');
            string? inline = null;
            int eq = body.IndexOf('=');
            if (eq >= 0)
            {
                inline = body[(eq + 1)..];
                body = body[..eq];
            }
            var spec = specs.FirstOrDefault(s => s.Name == body || s.Aliases.Contains(body));
            if (spec == null)
            {
                // urfave/cli moves the command's own flags ahead of its arguments and leaves the
                // rest where they are, where Go's parser, stopped at the first argument, takes
                // them for arguments: `kill ctr -9` sends signal -9, `delete ctr -f` forces.
                if (result.Positional.Count > 0)
                {
                    result.Positional.Add(a);
                    continue;
                }
                throw new UsageException($"flag provided but not defined: -{body}");
            }
            string value;
            if (spec.Kind == OptKind.Bool)
            {
                value = inline ?? "true";
                if (value is not ("true" or "false" or "1" or "0"))
                {
                    throw new UsageException($"invalid boolean value \"{value}\" for -{body}");
                }
                value = value is "1" ? "true" : value is "0" ? "false" : value;
            }
            else if (inline != null)
            {
                value = inline;
            }
            else if (i + 1 < args.Count)
            {
                value = args[++i];
            }
            else
            {
                throw new UsageException($"flag needs an argument: -{body}");
            }
            if (!result.Values.TryGetValue(spec.Name, out var list))
            {
                result.Values[spec.Name] = list = new List<string>();
            }
            list.Add(value);
        }
        consumed = i;
        for (; i < args.Count; i++)
        {
            result.Positional.Add(args[i]);
        }
        return result;
    }
}
