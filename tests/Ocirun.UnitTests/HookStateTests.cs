using Ocirun.Spec.Model;

namespace Ocirun.UnitTests;

/// <summary>The state hooks read on stdin, as runc writes it.</summary>
public class HookStateTests
{
    [Fact]
    public void RuncsFieldsInRuncsOrderCompact()
    {
        var json = HookState.Json("1.2.1", "c1", 42, "creating", "/b \"x\"", new() { ["a.b"] = "v" });
        Assert.Equal("{\"ociVersion\":\"1.2.1\",\"id\":\"c1\",\"status\":\"creating\",\"pid\":42,"
            + "\"bundle\":\"/b \\u0022x\\u0022\",\"annotations\":{\"a.b\":\"v\"}}", json);
    }

    [Fact]
    public void NoPidWhenStoppedAndNoAnnotationsWhenNone()
    {
        Assert.Equal("{\"ociVersion\":\"1.0.2\",\"id\":\"c1\",\"status\":\"stopped\",\"bundle\":\"/b\"}",
            HookState.Json("1.0.2", "c1", 0, "stopped", "/b", []));
        Assert.Equal("{\"ociVersion\":\"1.0.2\",\"id\":\"c1\",\"status\":\"stopped\",\"bundle\":\"/b\"}",
            HookState.Json("1.0.2", "c1", 0, "stopped", "/b", null));
    }
}
