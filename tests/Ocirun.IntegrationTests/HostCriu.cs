namespace Ocirun.IntegrationTests;

/// <summary>
/// Test classes that run CRIU in the host's mount namespace run one at a time. What they check
/// is host state CRIU touches: the kernel probe cache ocirun keeps (one test spoils it on
/// purpose, and a CRIU reading it then removes /run/criu.kdat), the mounts CRIU makes in /tmp
/// while it probes the kernel, the cgroup yard. A CRIU of a test beside them changes all three.
/// </summary>
[CollectionDefinition(nameof(HostCriu))]
public sealed class HostCriu;
