using System.Text.RegularExpressions;

namespace Ocirun.UnitTests;

/// <summary>
/// The runtime's namespaces form layers (docs/architecture.md): none uses one that uses it
/// back, directly or through others. Read from the sources, as a reviewer would.
/// </summary>
public partial class LayeringTests
{
    private static readonly string RuntimeDir = Path.Combine(TestHelpers.RepoRoot, "src", "Ocirun.Runtime");

    [GeneratedRegex(@"\b(?:using (?:static )?Ocirun\.Runtime\.|Ocirun\.Runtime\.|(?<![\w.])(?=(?:Cgroups|Container|Criu|HostCheck|Interop|Linux|OciHooks|Process|Rootfs|Seccomp|Security|State|Sync|Terminal)\.[A-Z]))(\w+)")]
    private static partial Regex Reference();

    /// <summary>Each namespace (a folder of the runtime) to the others its files name.</summary>
    private static Dictionary<string, HashSet<string>> Uses()
    {
        var layers = Directory.GetDirectories(RuntimeDir).Select(Path.GetFileName).Where(d => d is not ("bin" or "obj")).ToHashSet();
        var uses = layers.ToDictionary(l => l!, _ => new HashSet<string>());
        foreach (var layer in layers)
        {
            foreach (var file in Directory.GetFiles(Path.Combine(RuntimeDir, layer!), "*.cs", SearchOption.AllDirectories))
            {
                var text = string.Join('\n', File.ReadAllLines(file).Where(l => !l.TrimStart().StartsWith("//", StringComparison.Ordinal)));
                foreach (Match m in Reference().Matches(text))
                {
                    if (m.Groups[1].Value is var other && other != layer && layers.Contains(other))
                    {
                        uses[layer!].Add(other);
                    }
                }
            }
        }
        return uses;
    }

    [Fact]
    public void NoNamespaceUsesOneThatUsesItBack()
    {
        var uses = Uses();
        var cycles = new List<string>();
        foreach (var start in uses.Keys)
        {
            // Depth-first from start: reaching start again is a cycle.
            var path = new Stack<string>();
            var seen = new HashSet<string>();
            void Visit(string n)
            {
                path.Push(n);
                foreach (var next in uses[n])
                {
                    if (next == start)
                    {
                        cycles.Add(string.Join(" -> ", path.Reverse().Append(start)));
                    }
                    else if (seen.Add(next))
                    {
                        Visit(next);
                    }
                }
                path.Pop();
            }
            Visit(start);
        }
        Assert.True(cycles.Count == 0, "namespace cycles:\n" + string.Join('\n', cycles.Distinct()));
    }

    [Fact]
    public void TheReaderSeesTheUsesThatAreThere()
    {
        // Guards the test above against a pattern that finds nothing.
        var uses = Uses();
        Assert.Contains("Cgroups", uses["Container"]);
        Assert.Contains("Interop", uses["Linux"]);
        Assert.Empty(uses["Interop"]);
    }
}
