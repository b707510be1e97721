namespace Ocirun.IntegrationTests.Harness;

/// <summary>
/// runc 1.3.6 with a state root of its own, for tests that run the same bundle with ocirun and
/// with runc side by side. Dispose deletes whatever runc left in that root.
/// </summary>
public sealed class Runc13 : IDisposable
{
    public string Root { get; } = Path.Combine("/run/ocirun-it", "runc13-" + Guid.NewGuid().ToString("n")[..8]);

    public CommandResult Exec(params string[] args) => Run.Program(TestEnv.Runc13, new[] { "--root", Root }.Concat(args));

    public void Dispose()
    {
        if (!Directory.Exists(Root))
        {
            return;
        }
        foreach (var id in Directory.GetDirectories(Root).Select(Path.GetFileName))
        {
            Exec("delete", "--force", id!);
        }
        Directory.Delete(Root, recursive: true);
    }
}
