namespace Ocirun.UnitTests;

/// <summary>What a spec needs when ocirun's euid is not 0 (runc's rootlessEUIDCheck).</summary>
public class RootlessValidatorTests
{
    private static Ocirun.Spec.Model.Spec Spec() => Ocirun.Runtime.Container.DefaultSpec.Rootless(1000, 1000);

    [Fact]
    public void TheRootlessSpecPasses() => Ocirun.Spec.Validation.RootlessValidator.Validate(Spec());

    [Fact]
    public void AUserNamespaceIsRequired()
    {
        var s = Spec();
        s.Linux!.Namespaces!.RemoveAll(n => n.Type == "user");
        Assert.Equal("rootless container requires user namespaces",
            Assert.Throws<Ocirun.Spec.SpecValidationException>(() => Ocirun.Spec.Validation.RootlessValidator.Validate(s)).Message);
    }

    [Theory]
    [InlineData("uid=0", null)]
    [InlineData("gid=0", null)]
    [InlineData("uid=5", "cannot specify uid=5 mount option for rootless container: user namespaces enabled, but no mapping found for uid 5")]
    [InlineData("gid=5", "cannot specify gid=5 mount option for rootless container: user namespaces enabled, but no mapping found for gid 5")]
    public void MountIdsMustBeMapped(string option, string? error)
    {
        var s = Spec();
        s.Mounts!.First(m => m.Destination == "/dev/pts").Options!.Add(option);
        var e = Record.Exception(() => Ocirun.Spec.Validation.RootlessValidator.Validate(s));
        Assert.Equal(error, e?.Message);
    }

    [Fact]
    public void AdditionalGroupsAreRefused()
    {
        var p = new Ocirun.Spec.Model.Process { User = new Ocirun.Spec.Model.User { AdditionalGids = [5] } };
        Assert.Equal("cannot set any additional groups in a rootless container",
            Assert.Throws<Ocirun.Spec.SpecValidationException>(() => Ocirun.Spec.Validation.RootlessValidator.CheckProcess(p)).Message);
    }
}
