using System.Numerics;

namespace Ocirun.Cli;

/// <summary>
/// Decimal integers as Go's strconv reads them for runc's string flags (pure): ParseUint takes
/// digits only, ParseInt a sign too; anything else is "invalid syntax", too big "value out of
/// range", in Go's words.
/// </summary>
public static class GoNumbers
{
    public static ulong? ParseUint(string s) => Digits(s) && BigInteger.Parse(s) is var n && n <= ulong.MaxValue ? (ulong)n : null;

    public static long? ParseInt(string s)
    {
        var digits = s.Length > 0 && s[0] is '+' or '-' ? s[1..] : s;
        if (!Digits(digits))
        {
            return null;
        }
        var n = BigInteger.Parse(digits) * (s[0] == '-' ? -1 : 1);
        return n >= long.MinValue && n <= long.MaxValue ? (long)n : null;
    }

    public static string ParseUintError(string s) => Error("ParseUint", s, Digits(s));

    /// <param name="func">The strconv function named in the words: ParseInt, or Atoi, which reads the same.</param>
    public static string ParseIntError(string s, string func = "ParseInt") => Error(func, s, Digits(s.Length > 0 && s[0] is '+' or '-' ? s[1..] : s));

    private static bool Digits(string s) => s.Length > 0 && s.All(char.IsAsciiDigit);

    private static string Error(string func, string s, bool wellFormed) =>
        $"strconv.{func}: parsing {Runtime.Quoting.Go(s)}: {(wellFormed ? "value out of range" : "invalid syntax")}";
}
