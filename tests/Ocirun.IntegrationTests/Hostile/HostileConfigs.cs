using System.Text.Json.Nodes;

namespace Ocirun.IntegrationTests.Hostile;

/// <summary>
/// Configs an attacker or a broken engine could hand the runtime, each made from the default
/// spec by one change: wrong types, missing and null fields, huge and negative numbers, NUL
/// bytes, very long strings, deep nesting, unknown enum values, absurd rlimits and id maps.
/// Every one must fail `create` with one line and leave nothing behind.
/// </summary>
public static class HostileConfigs
{
    /// <summary>Name → change to the default config (a JSON object), or the raw text to write instead.</summary>
    public static IReadOnlyDictionary<string, Func<JsonObject, string?>> All => Corpus.Value;

    // Lazy: built after the static field initializers below have run.
    private static readonly Lazy<Dictionary<string, Func<JsonObject, string?>>> Corpus = new(Build);

    // Fields and the wrong-typed values each must refuse.
    private static readonly string[] ObjectPaths =
    [
        "root", "process", "process.user", "process.capabilities", "linux", "linux.resources", "hooks", "annotations",
        "process.consoleSize", "linux.seccomp", "linux.resources.memory", "linux.resources.cpu", "linux.resources.pids",
        "linux.sysctl",
    ];

    private static readonly string[] ArrayPaths =
    [
        "process.args", "process.env", "process.rlimits", "process.capabilities.bounding", "process.capabilities.effective",
        "mounts", "linux.namespaces", "linux.maskedPaths", "linux.readonlyPaths", "linux.devices", "linux.uidMappings",
        "linux.resources.devices", "process.user.additionalGids", "hooks.prestart", "hooks.createRuntime",
    ];

    private static readonly string[] StringPaths =
    [
        "ociVersion", "root.path", "process.cwd", "hostname", "linux.cgroupsPath", "linux.rootfsPropagation",
        "process.apparmorProfile", "process.selinuxLabel", "linux.mountLabel", "domainname",
    ];

    private static readonly string[] NumberPaths =
    [
        "process.user.uid", "process.user.gid", "process.user.umask", "process.oomScoreAdj", "process.consoleSize.height",
        "linux.resources.pids.limit", "linux.resources.memory.limit", "linux.resources.cpu.shares",
        "linux.resources.cpu.quota", "linux.resources.cpu.period",
    ];

    private static Dictionary<string, Func<JsonObject, string?>> Build()
    {
        var d = new Dictionary<string, Func<JsonObject, string?>>();
        JsonNode?[] notObject = [1, "x", true, new JsonArray()];
        JsonNode?[] notArray = [1, "x", true, new JsonObject()];
        JsonNode?[] notString = [1, true, new JsonArray(), new JsonObject()];
        JsonNode?[] notNumber = ["1", true, new JsonArray(), new JsonObject(), 1.5, -1.0e300, 1e300];
        foreach (var p in ObjectPaths)
        {
            for (int i = 0; i < notObject.Length; i++)
            {
                var v = notObject[i];
                d[$"type {p} = {v?.ToJsonString()}"] = c => Set(c, p, v?.DeepClone());
            }
        }
        foreach (var p in ArrayPaths)
        {
            foreach (var v in notArray)
            {
                d[$"type {p} = {v?.ToJsonString()}"] = c => Set(c, p, v?.DeepClone());
            }
        }
        foreach (var p in StringPaths)
        {
            foreach (var v in notString)
            {
                d[$"type {p} = {v?.ToJsonString()}"] = c => Set(c, p, v?.DeepClone());
            }
        }
        foreach (var p in NumberPaths)
        {
            foreach (var v in notNumber)
            {
                d[$"type {p} = {v?.ToJsonString()}"] = c => Set(c, p, v?.DeepClone());
            }
        }
        AddMissingAndNull(d);
        AddNumbers(d);
        AddNul(d);
        AddLongStrings(d);
        AddEnums(d);
        AddIdMaps(d);
        AddRaw(d);
        return d;
    }

    private static void AddMissingAndNull(Dictionary<string, Func<JsonObject, string?>> d)
    {
        foreach (var p in new[] { "ociVersion", "root", "root.path", "process", "process.args", "process.cwd" })
        {
            d[$"missing {p}"] = c => Remove(c, p);
            d[$"null {p}"] = c => Set(c, p, null);
        }
        foreach (var p in new[] { "process.user.uid", "process.user.gid", "process.terminal", "root.readonly", "process.noNewPrivileges" })
        {
            d[$"null {p}"] = c => Set(c, p, null);
        }
        d["empty args"] = c => Set(c, "process.args", new JsonArray());
        d["empty args[0]"] = c => Set(c, "process.args", new JsonArray(""));
        d["null args[0]"] = c => Set(c, "process.args", new JsonArray((JsonNode?)null));
        d["empty ociVersion"] = c => Set(c, "ociVersion", "");
        d["empty root.path"] = c => Set(c, "root.path", "");
        d["relative cwd"] = c => Set(c, "process.cwd", "tmp");
        d["empty cwd"] = c => Set(c, "process.cwd", "");
        d["env without ="] = c => Set(c, "process.env", new JsonArray("PATH"));
        d["env starting with ="] = c => Set(c, "process.env", new JsonArray("=x"));
        d["mount without destination"] = c => Add(c, "mounts", new JsonObject { ["type"] = "tmpfs", ["source"] = "tmpfs" });
        d["mount of unknown fs type"] = c => Add(c, "mounts", new JsonObject { ["destination"] = "/x", ["type"] = "nosuchfs", ["source"] = "none" });
        d["bind mount of a missing source"] = c => Add(c, "mounts", new JsonObject
            { ["destination"] = "/x", ["type"] = "bind", ["source"] = "/nonexistent/ocirun-hostile", ["options"] = new JsonArray("rbind") });
        d["namespace without type"] = c => Add(c, "linux.namespaces", new JsonObject());
        d["duplicate namespace"] = c => Add(c, "linux.namespaces", new JsonObject { ["type"] = "pid" });
        d["relative namespace path"] = c => Add(c, "linux.namespaces", new JsonObject { ["type"] = "user", ["path"] = "proc/1/ns/user" });
        d["missing namespace path"] = c => Set(c, "linux.namespaces", new JsonArray(new JsonObject { ["type"] = "net", ["path"] = "/nonexistent/ns" }));
        d["hook with relative path"] = c => Set(c, "hooks", new JsonObject { ["prestart"] = new JsonArray(new JsonObject { ["path"] = "true" }) });
        d["hook with zero timeout"] = c => Set(c, "hooks", new JsonObject { ["prestart"] = new JsonArray(new JsonObject { ["path"] = "/bin/true", ["timeout"] = 0 }) });
        d["hostname without uts namespace"] = c =>
        {
            Set(c, "hostname", "h");
            return Set(c, "linux.namespaces", new JsonArray(new JsonObject { ["type"] = "mount" }));
        };
        d["sysctl outside a namespace"] = c => Set(c, "linux.sysctl", new JsonObject { ["kernel.panic"] = "1" });
        d["sysctl with .."] = c => Set(c, "linux.sysctl", new JsonObject { ["net/../../kernel/panic"] = "1" });
        d["device outside /dev"] = c => Set(c, "linux.devices", new JsonArray(new JsonObject { ["path"] = "/etc/x", ["type"] = "c", ["major"] = 1, ["minor"] = 3 }));
        d["device path with .."] = c => Set(c, "linux.devices", new JsonArray(new JsonObject { ["path"] = "/dev/../etc/x", ["type"] = "c", ["major"] = 1, ["minor"] = 3 }));
        d["terminal without console socket"] = c => Set(c, "process.terminal", true);
        d["time offsets without time namespace"] = c => Set(c, "linux.timeOffsets", new JsonObject { ["monotonic"] = new JsonObject { ["secs"] = 1 } });
    }

    private static void AddNumbers(Dictionary<string, Func<JsonObject, string?>> d)
    {
        foreach (var (p, v) in new (string, JsonNode)[]
        {
            ("process.user.uid", -1), ("process.user.uid", 4294967295), ("process.user.uid", 4294967296), ("process.user.uid", 2147483648),
            ("process.user.gid", -5), ("process.user.gid", 4294967295), ("process.user.gid", 1e20),
            ("process.oomScoreAdj", 5000), ("process.oomScoreAdj", -5000), ("process.oomScoreAdj", 2147483648),
            ("process.consoleSize.height", -1), ("process.user.umask", -1),
            ("linux.resources.pids.limit", 1e30), ("linux.resources.memory.limit", 1e30), ("linux.resources.cpu.shares", -1),
            ("linux.resources.cpu.period", -1), ("linux.resources.blockIO.weight", 70000),
        })
        {
            d[$"number {p} = {v.ToJsonString()}"] = c => Set(c, p, v.DeepClone());
        }
        d["additional gid 4294967295"] = c => Set(c, "process.user.additionalGids", new JsonArray(4294967295));
        d["additional gid -1"] = c => Set(c, "process.user.additionalGids", new JsonArray(-1));
        foreach (var (type, hard, soft) in new (string, JsonNode, JsonNode)[]
        {
            ("RLIMIT_NOFILE", 1L << 40, 1L << 40), ("RLIMIT_NOFILE", 10, 20), ("RLIMIT_NOFILE", -1, -1), ("RLIMIT_NPROC", "x", 1),
            ("RLIMIT_FOO", 1, 1), ("", 1, 1), ("rlimit_nofile", 1024, 1024), ("RLIMIT_CORE", 1e30, 1),
        })
        {
            d[$"rlimit {type} {hard.ToJsonString()}/{soft.ToJsonString()}"] = c => Set(c, "process.rlimits",
                new JsonArray(new JsonObject { ["type"] = type, ["hard"] = hard.DeepClone(), ["soft"] = soft.DeepClone() }));
        }
        d["duplicate rlimit"] = c => Set(c, "process.rlimits", new JsonArray(
            new JsonObject { ["type"] = "RLIMIT_NOFILE", ["hard"] = 1024, ["soft"] = 1024 },
            new JsonObject { ["type"] = "RLIMIT_NOFILE", ["hard"] = 1024, ["soft"] = 1024 }));
        d["ioPriority 9"] = c => Set(c, "process.ioPriority", new JsonObject { ["class"] = "IOPRIO_CLASS_BE", ["priority"] = 9 });
        d["seccomp arg index 6"] = c => Set(c, "linux.seccomp", new JsonObject
        {
            ["defaultAction"] = "SCMP_ACT_ALLOW",
            ["syscalls"] = new JsonArray(new JsonObject
            {
                ["names"] = new JsonArray("read"), ["action"] = "SCMP_ACT_ERRNO",
                ["args"] = new JsonArray(new JsonObject { ["index"] = 6, ["value"] = 1, ["op"] = "SCMP_CMP_EQ" }),
            }),
        });
    }

    private static void AddNul(Dictionary<string, Func<JsonObject, string?>> d)
    {
        const string nul = "a\0b";
        foreach (var p in new[] { "process.cwd", "hostname", "root.path", "linux.cgroupsPath", "process.apparmorProfile", "domainname", "ociVersion" })
        {
            d[$"NUL in {p}"] = c => Set(c, p, "/" + nul);
        }
        d["NUL in args[0]"] = c => Set(c, "process.args", new JsonArray("/bin/" + nul));
        d["NUL in args[1]"] = c => Set(c, "process.args", new JsonArray("sh", nul));
        d["NUL in env"] = c => Set(c, "process.env", new JsonArray("A=" + nul));
        d["NUL in env name"] = c => Set(c, "process.env", new JsonArray(nul + "=1"));
        d["NUL in mount destination"] = c => Add(c, "mounts", new JsonObject { ["destination"] = "/" + nul, ["type"] = "tmpfs", ["source"] = "tmpfs" });
        d["NUL in mount source"] = c => Add(c, "mounts", new JsonObject
            { ["destination"] = "/x", ["type"] = "bind", ["source"] = "/tmp/" + nul, ["options"] = new JsonArray("rbind") });
        d["NUL in mount option"] = c => Add(c, "mounts", new JsonObject
            { ["destination"] = "/x", ["type"] = "tmpfs", ["source"] = "tmpfs", ["options"] = new JsonArray("size=1m\0,nosuid") });
        d["NUL in sysctl value"] = c => Set(c, "linux.sysctl", new JsonObject { ["net.ipv4.ip_forward"] = "1\0" });
        d["NUL in sysctl key"] = c => Set(c, "linux.sysctl", new JsonObject { ["net.ipv4\0.ip_forward"] = "1" });
        d["NUL in namespace path"] = c => Set(c, "linux.namespaces", new JsonArray(new JsonObject { ["type"] = "net", ["path"] = "/proc/1/ns/net\0x" }));
        d["NUL in masked path"] = c => Set(c, "linux.maskedPaths", new JsonArray("/proc/" + nul));
        d["NUL in readonly path"] = c => Set(c, "linux.readonlyPaths", new JsonArray("/proc/" + nul));
        d["NUL in hook path"] = c => Set(c, "hooks", new JsonObject { ["prestart"] = new JsonArray(new JsonObject { ["path"] = "/bin/true\0x" }) });
        d["NUL in hook arg"] = c => Set(c, "hooks", new JsonObject { ["prestart"] = new JsonArray(new JsonObject { ["path"] = "/bin/true", ["args"] = new JsonArray("true", nul) }) });
        d["NUL in device path"] = c => Set(c, "linux.devices", new JsonArray(new JsonObject { ["path"] = "/dev/" + nul, ["type"] = "c", ["major"] = 1, ["minor"] = 3 }));
        d["NUL in property name"] = c => Set(c, "annotations", new JsonObject { [nul] = "x" });
        d["NUL in annotation"] = c => Set(c, "annotations", new JsonObject { ["x"] = nul });
    }

    private static void AddLongStrings(Dictionary<string, Func<JsonObject, string?>> d)
    {
        var longName = new string('a', 100_000);
        d["long hostname"] = c => Set(c, "hostname", longName);
        d["long domainname"] = c => Set(c, "domainname", longName);
        d["long cwd"] = c => Set(c, "process.cwd", "/" + longName);
        d["long cwd of many parts"] = c => Set(c, "process.cwd", string.Concat(Enumerable.Repeat("/abcdefgh", 1000)));
        d["long program name"] = c => Set(c, "process.args", new JsonArray(longName));
        d["long mount destination"] = c => Add(c, "mounts", new JsonObject { ["destination"] = "/" + longName, ["type"] = "tmpfs", ["source"] = "tmpfs" });
        d["long root path"] = c => Set(c, "root.path", "/" + longName);
        d["long cgroups path"] = c => Set(c, "linux.cgroupsPath", "/" + longName);
        d["long ociVersion"] = c => Set(c, "ociVersion", longName);
        d["long namespace path"] = c => Set(c, "linux.namespaces", new JsonArray(new JsonObject { ["type"] = "net", ["path"] = "/" + longName }));
        d["long sysctl"] = c => Set(c, "linux.sysctl", new JsonObject { ["net." + longName] = "1" });
        d["long device path"] = c => Set(c, "linux.devices", new JsonArray(new JsonObject { ["path"] = "/dev/" + longName, ["type"] = "c", ["major"] = 1, ["minor"] = 3 }));
        foreach (var depth in new[] { 65, 1000, 100_000 })
        {
            d[$"args nested {depth} deep"] = c => Raw(c, "process.args", new string('[', depth) + new string(']', depth));
            d[$"annotations nested {depth} deep"] = c => Raw(c, "annotations", string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth));
        }
    }

    private static void AddEnums(Dictionary<string, Func<JsonObject, string?>> d)
    {
        d["namespace type foo"] = c => Add(c, "linux.namespaces", new JsonObject { ["type"] = "foo" });
        d["namespace type PID"] = c => Add(c, "linux.namespaces", new JsonObject { ["type"] = "PID" });
        foreach (var v in new[] { "weird", "SHARED", "r-shared", " " })
        {
            d[$"rootfsPropagation {v}"] = c => Set(c, "linux.rootfsPropagation", v);
        }
        foreach (var v in new[] { "SCMP_ACT_FOO", "allow", "" })
        {
            d[$"seccomp defaultAction {v}"] = c => Set(c, "linux.seccomp", new JsonObject { ["defaultAction"] = v });
        }
        d["seccomp arch"] = c => Set(c, "linux.seccomp", new JsonObject { ["defaultAction"] = "SCMP_ACT_ALLOW", ["architectures"] = new JsonArray("SCMP_ARCH_FOO") });
        d["seccomp flag"] = c => Set(c, "linux.seccomp", new JsonObject { ["defaultAction"] = "SCMP_ACT_ALLOW", ["flags"] = new JsonArray("SECCOMP_FILTER_FLAG_FOO") });
        d["seccomp operator"] = c => Set(c, "linux.seccomp", new JsonObject
        {
            ["defaultAction"] = "SCMP_ACT_ALLOW",
            ["syscalls"] = new JsonArray(new JsonObject
            {
                ["names"] = new JsonArray("read"), ["action"] = "SCMP_ACT_ERRNO",
                ["args"] = new JsonArray(new JsonObject { ["index"] = 0, ["value"] = 1, ["op"] = "SCMP_CMP_FOO" }),
            }),
        });
        d["seccomp rule without names"] = c => Set(c, "linux.seccomp", new JsonObject
            { ["defaultAction"] = "SCMP_ACT_ALLOW", ["syscalls"] = new JsonArray(new JsonObject { ["names"] = new JsonArray(), ["action"] = "SCMP_ACT_ERRNO" }) });
        d["seccomp rule action"] = c => Set(c, "linux.seccomp", new JsonObject
            { ["defaultAction"] = "SCMP_ACT_ALLOW", ["syscalls"] = new JsonArray(new JsonObject { ["names"] = new JsonArray("read"), ["action"] = "SCMP_ACT_NOPE" }) });
        d["ioPriority class"] = c => Set(c, "process.ioPriority", new JsonObject { ["class"] = "IOPRIO_CLASS_FOO", ["priority"] = 1 });
        d["scheduler policy"] = c => Set(c, "process.scheduler", new JsonObject { ["policy"] = "SCHED_FOO" });
        d["scheduler flag"] = c => Set(c, "process.scheduler", new JsonObject { ["policy"] = "SCHED_OTHER", ["flags"] = new JsonArray("FOO") });
        d["personality domain"] = c => Set(c, "linux.personality", new JsonObject { ["domain"] = "LINUX64" });
        d["device type x"] = c => Set(c, "linux.devices", new JsonArray(new JsonObject { ["path"] = "/dev/x", ["type"] = "x", ["major"] = 1, ["minor"] = 3 }));
        d["device rule type x"] = c => Set(c, "linux.resources.devices", new JsonArray(new JsonObject { ["allow"] = true, ["type"] = "x" }));
        d["device rule access rwa"] = c => Set(c, "linux.resources.devices", new JsonArray(new JsonObject { ["allow"] = true, ["type"] = "c", ["major"] = 1, ["minor"] = 11, ["access"] = "rwa" }));
        d["time offset clock"] = c =>
        {
            Add(c, "linux.namespaces", new JsonObject { ["type"] = "time" });
            return Set(c, "linux.timeOffsets", new JsonObject { ["realtime"] = new JsonObject { ["secs"] = 1 } });
        };
        d["ociVersion 2.0.0"] = c => Set(c, "ociVersion", "2.0.0");
        d["ociVersion 1.x"] = c => Set(c, "ociVersion", "1.x");
        d["ociVersion -1.0.0"] = c => Set(c, "ociVersion", "-1.0.0");
        d["cgroupsPath escaping"] = c => Set(c, "linux.cgroupsPath", "/../../../../ocirun-hostile");
        d["apparmor profile without apparmor"] = c => Set(c, "process.apparmorProfile", "unconfined-not");
        d["selinux label without selinux"] = c => Set(c, "process.selinuxLabel", "system_u:system_r:container_t:s0");
        d["execCPUAffinity as a list"] = c => Set(c, "process.execCPUAffinity", new JsonArray(new JsonObject { ["initial"] = "0" }));
        d["intelRdt without resctrl"] = c => Set(c, "linux.intelRdt", new JsonObject { ["closID"] = "x" });
    }

    private static void AddIdMaps(Dictionary<string, Func<JsonObject, string?>> d)
    {
        static JsonObject Map(JsonNode c, JsonNode h, JsonNode s) => new() { ["containerID"] = c, ["hostID"] = h, ["size"] = s };
        var cases = new (string Name, JsonArray Uid, JsonArray Gid)[]
        {
            ("size 0", [Map(0, 0, 0)], [Map(0, 0, 1)]),
            ("host id -1", [Map(0, 4294967295, 1)], [Map(0, 0, 1)]),
            ("container id -1", [Map(4294967295, 0, 1)], [Map(0, 0, 1)]),
            ("range past 2^32", [Map(0, 4294967000, 1000)], [Map(0, 0, 1)]),
            ("negative size", [Map(0, 0, -1)], [Map(0, 0, 1)]),
            ("overlapping ranges", [Map(0, 100000, 10), Map(5, 200000, 10)], [Map(0, 0, 1)]),
            ("400 ranges", new JsonArray(Enumerable.Range(0, 400).Select(i => (JsonNode)Map(i, 100000 + i, 1)).ToArray()), [Map(0, 0, 1)]),
            ("no gid mappings", [Map(0, 100000, 10)], []),
            ("string ids", [Map("0", "0", "1")], [Map(0, 0, 1)]),
        };
        foreach (var (name, uid, gid) in cases)
        {
            d[$"id map {name}"] = c =>
            {
                Add(c, "linux.namespaces", new JsonObject { ["type"] = "user" });
                Set(c, "linux.uidMappings", uid.DeepClone());
                return Set(c, "linux.gidMappings", gid.DeepClone());
            };
        }
        d["id maps without user namespace"] = c => Set(c, "linux.uidMappings", new JsonArray(Map(0, 0, 1)));
    }

    private static void AddRaw(Dictionary<string, Func<JsonObject, string?>> d)
    {
        foreach (var (name, text) in new[]
        {
            ("empty file", ""), ("whitespace", "  \n"), ("null document", "null"), ("array document", "[]"), ("number document", "42"),
            ("string document", "\"x\""), ("truncated", "{\"ociVersion\": \"1.0.0\", \"root\": {"), ("unquoted key", "{ociVersion: 1}"),
            ("trailing garbage", "{} x"), ("binary", "\u0001\u0002\u00ff\u00fe"), ("lone brace", "}"), ("bad escape", "{\"a\": \"\\q\"}"),
            ("raw control char", "{\"ociVersion\": \"1.0\u0001.0\"}"), ("single quotes", "{'ociVersion': '1.0.0'}"),
            ("NaN", "{\"ociVersion\": NaN}"), ("utf-16 bom", "\uFEFF\uFEFF{}"),
        })
        {
            d[$"raw {name}"] = _ => text;
        }
    }

    // JSON helpers: a dotted path into the document; missing objects on the way are created.
    private static string? Set(JsonObject root, string path, JsonNode? value)
    {
        var (parent, key) = Walk(root, path);
        parent[key] = value;
        return null;
    }

    private static string? Remove(JsonObject root, string path)
    {
        var (parent, key) = Walk(root, path);
        parent.Remove(key);
        return null;
    }

    private static string? Add(JsonObject root, string path, JsonNode value)
    {
        var (parent, key) = Walk(root, path);
        if (parent[key] is not JsonArray list)
        {
            parent[key] = list = new JsonArray();
        }
        list.Add(value);
        return null;
    }

    /// <summary>Sets path to raw JSON text that JsonNode cannot hold (e.g. nesting past its limit).</summary>
    private static string? Raw(JsonObject root, string path, string json)
    {
        const string marker = "\"@@RAW@@\"";
        Set(root, path, "@@RAW@@");
        return root.ToJsonString().Replace(marker, json);
    }

    private static (JsonObject Parent, string Key) Walk(JsonObject root, string path)
    {
        var parts = path.Split('.');
        var node = root;
        foreach (var p in parts[..^1])
        {
            if (node[p] is not JsonObject next)
            {
                node[p] = next = new JsonObject();
            }
            node = next;
        }
        return (node, parts[^1]);
    }
}
