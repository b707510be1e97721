namespace Ocirun.IntegrationTests.Harness;

public sealed record CommandResult(int ExitCode, string Stdout, string Stderr)
{
    public CommandResult EnsureSuccess()
    {
        if (ExitCode != 0)
        {
            throw new Xunit.Sdk.XunitException($"exit {ExitCode}\nstdout: {Stdout}\nstderr: {Stderr}");
        }
        return this;
    }

    public override string ToString() => $"exit {ExitCode}; stdout: {Stdout}; stderr: {Stderr}";
}
