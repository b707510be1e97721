using System.Collections;
using System.Reflection;
using System.Text.Json;
using Ocirun.Runtime.Process;
using Ocirun.Runtime.Sync;
using Ocirun.Spec;

namespace Ocirun.UnitTests;

/// <summary>The init's binary frame: every field the init may use arrives as the parent sent it.</summary>
public class InitFrameTests
{
    /// <summary>What only the parent uses and the frame leaves out on purpose (see InitSpecFields).</summary>
    private static readonly string[] ParentOnly =
    [
        "Linux.Resources", "Linux.Seccomp", "Linux.IntelRdt",
        "Hooks.Prestart", "Hooks.CreateRuntime", "Hooks.Poststart", "Hooks.Poststop",
    ];

    [Fact]
    public void EveryModelPropertyCrossesOrIsParentOnly()
    {
        // Filled by reflection: a property added to the model later fails here until the
        // frame carries it or it joins the parent-only list.
        var spec = (Spec.Model.Spec)Filled(typeof(Spec.Model.Spec), "", new Counter());
        var decoded = InitFrame.Decode(InitFrame.Encode(new InitConfig { Spec = spec })).Spec;
        foreach (var path in ParentOnly)
        {
            var (owner, prop) = Resolve(spec, path);
            prop.SetValue(owner, null);
        }
        Assert.Equal(Json(spec), Json(decoded));
    }

    [Fact]
    public void ConfigFieldsCross()
    {
        var config = (InitConfig)Filled(typeof(InitConfig), "", new Counter());
        config.Spec = new Spec.Model.Spec { OciVersion = "1.2.1" };
        var decoded = InitFrame.Decode(InitFrame.Encode(config));
        foreach (var p in typeof(InitConfig).GetProperties().Where(p => p.Name != nameof(InitConfig.Spec)))
        {
            var (want, got) = (p.GetValue(config), p.GetValue(decoded));
            Assert.True(want is IEnumerable e ? e.Cast<object>().SequenceEqual(((IEnumerable)got!).Cast<object>()) : Equals(want, got),
                $"{p.Name}: sent {want}, received {got}");
        }
    }

    [Fact]
    public void NullsAndEmptiesStayApart()
    {
        var spec = new Spec.Model.Spec
        {
            Process = new Spec.Model.Process { Args = [], Env = null, Cwd = "/", User = new() { Umask = 0 } },
            Mounts = null,
            Annotations = [],
            Hostname = "",
        };
        var decoded = InitFrame.Decode(InitFrame.Encode(new InitConfig { Spec = spec })).Spec;
        Assert.Empty(decoded.Process!.Args!);
        Assert.Null(decoded.Process.Env);
        Assert.Equal(0u, decoded.Process.User.Umask);
        Assert.Null(decoded.Process.User.AdditionalGids);
        Assert.Null(decoded.Mounts);
        Assert.Empty(decoded.Annotations!);
        Assert.Equal("", decoded.Hostname);
        Assert.Null(decoded.Domainname);
        Assert.Null(decoded.Linux);
    }

    [Fact]
    public void ATruncatedOrLongerFrameIsRefused()
    {
        var frame = InitFrame.Encode(new InitConfig { Spec = new Spec.Model.Spec { Hostname = "h" } });
        Assert.Throws<InvalidDataException>(() => InitFrame.Decode(frame[..^1]));
        Assert.Throws<InvalidDataException>(() => InitFrame.Decode([.. frame, 0]));
    }

    [Fact]
    public void ACountPastTheEndIsRefusedBeforeAllocating()
    {
        var w = new FieldWriter();
        w.I32(int.MaxValue);
        Assert.Throws<InvalidDataException>(() => new FieldReader(w.ToArray()).Strings());
    }

    private static string Json(Spec.Model.Spec s) => JsonSerializer.Serialize(s, SpecJsonContext.Default.Spec);

    private static (object Owner, PropertyInfo Prop) Resolve(object root, string path)
    {
        var parts = path.Split('.');
        object owner = root.GetType().GetProperty(parts[0])!.GetValue(root)!;
        return (owner, owner.GetType().GetProperty(parts[1])!);
    }

    private sealed class Counter
    {
        public int Next;
    }

    /// <summary>An instance with every property set to a value of its own (collections of one or two).</summary>
    private static object Filled(Type type, string name, Counter n)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        int k = ++n.Next;
        if (type == typeof(string))
        {
            return $"{name}-{k}";
        }
        if (type == typeof(bool))
        {
            return true;
        }
        if (type.IsPrimitive)
        {
            return Convert.ChangeType(k, type);
        }
        if (type == typeof(byte[]))
        {
            return new byte[] { (byte)k, 0, 255 };
        }
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>))
        {
            var list = (IList)Activator.CreateInstance(type)!;
            list.Add(Filled(type.GetGenericArguments()[0], name, n));
            list.Add(Filled(type.GetGenericArguments()[0], name, n));
            return list;
        }
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Dictionary<,>))
        {
            var map = (IDictionary)Activator.CreateInstance(type)!;
            var args = type.GetGenericArguments();
            map.Add(Filled(args[0], name + "key", n), Filled(args[1], name, n));
            return map;
        }
        var o = Activator.CreateInstance(type)!;
        foreach (var p in type.GetProperties().Where(p => p.CanWrite))
        {
            p.SetValue(o, Filled(p.PropertyType, p.Name, n));
        }
        return o;
    }
}
