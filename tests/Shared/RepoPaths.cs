namespace Ocirun.Tests.Shared;

/// <summary>Where the repository is, for tests that read its files or run its scripts.</summary>
public static class RepoPaths
{
    /// <summary>The first directory above the test assembly that holds Runtime.sln.</summary>
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Runtime.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("Runtime.sln not found above " + AppContext.BaseDirectory);
    }
}
