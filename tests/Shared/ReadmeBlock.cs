namespace Ocirun.Tests.Shared;

/// <summary>
/// The README's copy-paste blocks, so that tests run exactly what users are told to run: a
/// block is the fenced code that follows a `&lt;!-- block: NAME ... --&gt;` line.
/// </summary>
public static class ReadmeBlock
{
    /// <summary>The block's text, with the installed binary's path replaced by the one under test.</summary>
    public static string Get(string name, string ocirunBin)
    {
        var lines = File.ReadAllLines(Path.Combine(RepoPaths.Root, "README.md"));
        int marker = Array.FindIndex(lines, l => l.StartsWith($"<!-- block: {name} ", StringComparison.Ordinal));
        if (marker < 0 || marker + 1 >= lines.Length || !lines[marker + 1].StartsWith("```", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"README.md has no block {name} followed by a fenced code block");
        }
        int end = Array.FindIndex(lines, marker + 2, l => l.StartsWith("```", StringComparison.Ordinal));
        return string.Join('\n', lines[(marker + 2)..end]).Replace("/usr/local/bin/ocirun", ocirunBin) + "\n";
    }
}
