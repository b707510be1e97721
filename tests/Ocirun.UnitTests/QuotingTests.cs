using Ocirun.Runtime;

namespace Ocirun.UnitTests;

/// <summary>Go's strconv.Quote, which runc's messages and logrus's lines use.</summary>
public class QuotingTests
{
    [Theory]
    [InlineData("abc", "\"abc\"")]
    [InlineData("say \"hi\"", "\"say \\\"hi\\\"\"")]
    [InlineData("a\\b", "\"a\\\\b\"")]
    [InlineData("1\n2\t3\r", "\"1\\n2\\t3\\r\"")]
    [InlineData("\a\b\f\v", "\"\\a\\b\\f\\v\"")]
    [InlineData("\u001b[0m\u007f", "\"\\x1b[0m\\x7f\"")]
    [InlineData("é ü 日本", "\"é ü 日本\"")]
    [InlineData("\u00a0\u200b\u2028", "\"\\u00a0\\u200b\\u2028\"")]
    [InlineData("\U000e0001", "\"\\U000e0001\"")]
    public void AsGoQuotesIt(string s, string quoted) => Assert.Equal(quoted, Quoting.Go(s));
}
