using System.Runtime.InteropServices;

namespace Ocirun.Runtime.Interop;

/// <summary>The runtime's own C (native/), linked into the binary and bound at link time.</summary>
internal static partial class OciNative
{
    private const string L = "ocirun_native";

    /// <summary>native/userns_holder.c: a child in a new user namespace until release is closed.</summary>
    [LibraryImport(L, SetLastError = true)]
    public static partial int ocirun_userns_holder(out int release);
}
