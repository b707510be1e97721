namespace Ocirun.Runtime.Security;

/// <summary>AppArmor and SELinux exec labels, written only where the LSM is active (runc skips them otherwise).</summary>
internal static class Labels
{
    public static bool AppArmorEnabled() =>
        File.Exists("/sys/module/apparmor/parameters/enabled")
        && File.ReadAllText("/sys/module/apparmor/parameters/enabled").Trim() == "Y"
        && File.Exists("/sys/kernel/security/apparmor/profiles");

    public static bool SelinuxEnabled() => File.Exists("/sys/fs/selinux/enforce");

    /// <summary>Labels asked for while their LSM is off are skipped, as runc does; --debug says so.</summary>
    public static void LogSkipped(Spec.Model.Process process)
    {
        if (!string.IsNullOrEmpty(process.ApparmorProfile) && !AppArmorEnabled())
        {
            DebugLog.Write($"apparmor is not enabled on this host: profile {process.ApparmorProfile} is not applied");
        }
        if (!string.IsNullOrEmpty(process.SelinuxLabel) && !SelinuxEnabled())
        {
            DebugLog.Write($"selinux is not enabled on this host: label {process.SelinuxLabel} is not applied");
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
