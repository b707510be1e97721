namespace Ocirun.Runtime.Security;

/// <summary>AppArmor and SELinux exec labels; asking for one on a host without its LSM is an error.</summary>
internal static class Labels
{
    public static bool AppArmorEnabled() =>
        File.Exists("/sys/module/apparmor/parameters/enabled")
        && File.ReadAllText("/sys/module/apparmor/parameters/enabled").Trim() == "Y"
        && File.Exists("/sys/kernel/security/apparmor/profiles");

    public static bool SelinuxEnabled() => File.Exists("/sys/fs/selinux/enforce");

    /// <summary>
    /// A label that cannot be applied fails the create or exec (closed, as runc and crun do):
    /// running the process unconfined would silently drop the isolation the caller asked for.
    /// </summary>
    public static void Require(Spec.Model.Process process)
    {
        if (!string.IsNullOrEmpty(process.ApparmorProfile) && !AppArmorEnabled())
        {
            throw new ContainerException("apparmor is not enabled on this system");
        }
        if (!string.IsNullOrEmpty(process.SelinuxLabel) && !SelinuxEnabled())
        {
            throw new ContainerException("selinux label is specified in config, but selinux is disabled or not supported");
        }
    }

    public static void ApplyExecLabels(Spec.Model.Process process)
    {
        if (!string.IsNullOrEmpty(process.ApparmorProfile) && AppArmorEnabled())
        {
            var attr = Directory.Exists("/proc/self/attr/apparmor") ? "/proc/self/attr/apparmor/exec" : "/proc/self/attr/exec";
            Linux.Sys.WriteFile(attr, "exec " + process.ApparmorProfile);
        }
        if (!string.IsNullOrEmpty(process.SelinuxLabel) && SelinuxEnabled())
        {
            Linux.Sys.WriteFile("/proc/self/attr/exec", process.SelinuxLabel);
        }
    }
}
