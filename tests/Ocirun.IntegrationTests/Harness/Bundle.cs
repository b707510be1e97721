using System.Text.Json;
using Ocirun.Runtime.Container;
using Ocirun.Spec;

namespace Ocirun.IntegrationTests.Harness;

/// <summary>
/// A bundle in a temporary directory: a copy of the busybox rootfs and a config.json that
/// starts from `ocirun spec` (no terminal). Tests change Spec, then call Write.
/// </summary>
public sealed class Bundle : IDisposable
{
    public Bundle(params string[] args)
    {
        Dir = Scratch.NewDirectory("");
        Run.Program("cp", ["-a", TestEnv.Rootfs, Rootfs]).EnsureSuccess();
        Spec = DefaultSpec.Create();
        Spec.Process!.Terminal = false;
        Spec.Process.Args = args.Length > 0 ? args.ToList() : ["true"];
        Spec.Linux!.CgroupsPath = "/ocirun-it-" + Path.GetFileName(Dir);
        Write();
    }

    public string Dir { get; }

    public string Rootfs => Path.Combine(Dir, "rootfs");

    public Spec.Model.Spec Spec { get; }

    public Bundle Write()
    {
        File.WriteAllText(Path.Combine(Dir, "config.json"), JsonSerializer.Serialize(Spec, SpecJsonContext.Default.Spec));
        return this;
    }

    /// <summary>Sets the process arguments to `sh -c script`.</summary>
    public Bundle Shell(string script)
    {
        Spec.Process!.Args = ["sh", "-c", script];
        return Write();
    }

    public void Dispose()
    {
        // Unmount anything a failed test left under the bundle before removing it.
        Run.Program("sh", ["-c", $"grep -o ' {Dir}[^ ]*' /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l"]);
        Directory.Delete(Dir, recursive: true);
    }
}
