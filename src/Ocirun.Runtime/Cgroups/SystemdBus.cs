using System.Collections.Concurrent;
using Tmds.DBus.Protocol;

namespace Ocirun.Runtime.Cgroups;

/// <summary>
/// The calls the systemd driver makes on systemd's manager over D-Bus (the system bus, or
/// DBUS_SYSTEM_BUS_ADDRESS; for a rootless caller its own systemd's session bus): start a
/// transient scope and wait for its job, change a unit's properties, stop it. Blocking: the
/// runtime's commands are sequential.
/// </summary>
public sealed class SystemdBus : IDisposable
{
    private const string Service = "org.freedesktop.systemd1";
    private const string ManagerPath = "/org/freedesktop/systemd1";
    private const string Manager = "org.freedesktop.systemd1.Manager";
    private static readonly TimeSpan JobTimeout = TimeSpan.FromSeconds(30);

    private readonly DBusConnection _connection;
    /// <summary>Job path → result, from JobRemoved signals (one may come before the call's own reply).</summary>
    private readonly ConcurrentDictionary<string, string> _finished = new();
    private readonly SemaphoreSlim _jobEnded = new(0);

    private SystemdBus(DBusConnection connection) => _connection = connection;

    /// <summary>The system bus's systemd, or with user the caller's own (its session bus).</summary>
    public static SystemdBus Connect(bool user = false)
    {
        var address = user ? SessionAddress()
            : DBusAddress.System ?? throw new ContainerException("systemd cgroup driver: no system bus address");
        var connection = new DBusConnection(address);
        try
        {
            connection.ConnectAsync().AsTask().GetAwaiter().GetResult();
            var bus = new SystemdBus(connection);
            bus.WatchJobs();
            return bus;
        }
        catch (Exception e) when (e is DBusExceptionBase or IOException or System.Net.Sockets.SocketException)
        {
            connection.Dispose();
            throw new ContainerException($"systemd cgroup driver: cannot connect to the {(user ? "session" : "system")} bus at {address}: {e.Message}");
        }
    }

    /// <summary>Where a user's systemd listens, as runc finds it: DBUS_SESSION_BUS_ADDRESS, else $XDG_RUNTIME_DIR/bus.</summary>
    private static string SessionAddress()
    {
        if (Environment.GetEnvironmentVariable("DBUS_SESSION_BUS_ADDRESS") is { Length: > 0 } address)
        {
            return address;
        }
        if (Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR") is { Length: > 0 } xdg && File.Exists(Path.Combine(xdg, "bus")))
        {
            return "unix:path=" + Path.Combine(xdg, "bus");
        }
        throw new ContainerException("could not detect DBUS_SESSION_BUS_ADDRESS from the environment; make sure you have installed the dbus-user-session or dbus-daemon package; note you may need to re-login");
    }

    /// <summary>A string property of the manager itself, e.g. ControlGroup (a user's systemd: /user.slice/user-UID.slice/user@UID.service).</summary>
    public string ManagerProperty(string name)
    {
        var w = _connection.GetMessageWriter();
        MessageBuffer message;
        try
        {
            w.WriteMethodCallHeader(Service, ManagerPath, "org.freedesktop.DBus.Properties", "Get", "ss");
            w.WriteString(Manager);
            w.WriteString(name);
            message = w.CreateMessage();
        }
        finally
        {
            w.Dispose();
        }
        try
        {
            return _connection.CallMethodAsync(message, static (Message m, object? _) =>
            {
                var r = m.GetBodyReader();
                r.ReadSignature("s");
                return r.ReadString();
            }, null).GetAwaiter().GetResult();
        }
        catch (DBusErrorReplyException e)
        {
            throw new ContainerException($"systemd cgroup driver: cannot read the manager's {name}: {e.ErrorMessage}");
        }
    }

    private void WatchJobs()
    {
        var rule = new MatchRule { Type = MessageType.Signal, Interface = Manager, Member = "JobRemoved", Path = ManagerPath };
        _connection.AddMatchAsync(rule, static (Message m, object? _) =>
        {
            var r = m.GetBodyReader();
            r.ReadUInt32();
            var job = r.ReadObjectPathAsString();
            r.ReadString();
            return (Job: job, Result: r.ReadString());
        }, (Notification<(string Job, string Result)> n) =>
        {
            if (n.HasValue)
            {
                _finished[n.Value.Job] = n.Value.Result;
                _jobEnded.Release();
            }
        }, false, ObserverFlags.None, null).AsTask().GetAwaiter().GetResult();
    }

    /// <summary>Starts a transient unit and waits until systemd finished the job ("done", or throws).</summary>
    public void StartTransientUnit(string unit, IEnumerable<SystemdProperty> properties)
    {
        var message = Build("StartTransientUnit", "ssa(sv)a(sa(sv))", (ref MessageWriter w) =>
        {
            w.WriteString(unit);
            w.WriteString("replace");
            WriteProperties(ref w, properties);
            var aux = w.WriteArrayStart(DBusType.Struct);
            w.WriteArrayEnd(aux);
        });
        var result = WaitForJob(Call(message, $"unable to start unit \"{unit}\""));
        if (result != "done")
        {
            ResetFailed(unit);
            throw new ContainerException($"error creating systemd unit `{unit}`: got `{result}`");
        }
    }

    /// <summary>Changes a running unit's properties (runtime only: gone when the unit goes).</summary>
    public void SetUnitProperties(string unit, IEnumerable<SystemdProperty> properties)
    {
        var message = Build("SetUnitProperties", "sba(sv)", (ref MessageWriter w) =>
        {
            w.WriteString(unit);
            w.WriteBool(true);
            WriteProperties(ref w, properties);
        });
        CallNoReply(message, $"failed to set properties of unit {unit}");
    }

    /// <summary>Stops a unit and waits for it; a unit that no longer exists is already stopped.</summary>
    public void StopUnit(string unit)
    {
        var message = Build("StopUnit", "ss", (ref MessageWriter w) =>
        {
            w.WriteString(unit);
            w.WriteString("replace");
        });
        try
        {
            WaitForJob(Call(message, $"failed to stop unit {unit}"));
        }
        catch (ContainerException) when (_lastError == "org.freedesktop.systemd1.NoSuchUnit")
        {
        }
        ResetFailed(unit);
    }

    private void ResetFailed(string unit)
    {
        try
        {
            CallNoReply(Build("ResetFailedUnit", "s", (ref MessageWriter w) => w.WriteString(unit)), "");
        }
        catch (ContainerException)
        {
            // Only a failed unit has anything to reset.
        }
    }

    private delegate void Body(ref MessageWriter w);

    /// <summary>A call of the manager's member with the body written by body.</summary>
    private MessageBuffer Build(string member, string signature, Body body)
    {
        var w = _connection.GetMessageWriter();
        try
        {
            w.WriteMethodCallHeader(Service, ManagerPath, Manager, member, signature);
            body(ref w);
            return w.CreateMessage();
        }
        finally
        {
            w.Dispose();
        }
    }

    private string? _lastError;

    private string Call(MessageBuffer message, string what)
    {
        try
        {
            return _connection.CallMethodAsync(message, static (Message m, object? _) => m.GetBodyReader().ReadObjectPathAsString(), null)
                .GetAwaiter().GetResult();
        }
        catch (DBusErrorReplyException e)
        {
            _lastError = e.ErrorName;
            throw new ContainerException($"{what}: {e.ErrorMessage}");
        }
    }

    private void CallNoReply(MessageBuffer message, string what)
    {
        try
        {
            _connection.CallMethodAsync(message).GetAwaiter().GetResult();
        }
        catch (DBusErrorReplyException e)
        {
            _lastError = e.ErrorName;
            throw new ContainerException($"{what}: {e.ErrorMessage}");
        }
    }

    private string WaitForJob(string job)
    {
        var deadline = DateTime.UtcNow + JobTimeout;
        string? result;
        while (!_finished.TryRemove(job, out result))
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || !_jobEnded.Wait(left))
            {
                throw new ContainerException($"timeout waiting for systemd job {job}");
            }
        }
        return result;
    }

    private static void WriteProperties(ref MessageWriter w, IEnumerable<SystemdProperty> properties)
    {
        var array = w.WriteArrayStart(DBusType.Struct);
        foreach (var p in properties)
        {
            w.WriteStructureStart();
            w.WriteString(p.Name);
            switch (p.Value)
            {
                case string s:
                    w.WriteVariantString(s);
                    break;
                case string[] strings:
                    w.WriteSignature("as");
                    w.WriteArray(strings);
                    break;
                case bool b:
                    w.WriteVariantBool(b);
                    break;
                case ulong u:
                    w.WriteVariantUInt64(u);
                    break;
                case byte y:
                    w.WriteVariantByte(y);
                    break;
                case short n:
                    w.WriteVariantInt16(n);
                    break;
                case ushort q:
                    w.WriteVariantUInt16(q);
                    break;
                case int i:
                    w.WriteVariantInt32(i);
                    break;
                case uint u32:
                    w.WriteVariantUInt32(u32);
                    break;
                case long x:
                    w.WriteVariantInt64(x);
                    break;
                case double d:
                    w.WriteVariantDouble(d);
                    break;
                case uint[] pids:
                    w.WriteSignature("au");
                    w.WriteArray(pids);
                    break;
                case List<(string Path, string Perms)> devices:
                    w.WriteSignature("a(ss)");
                    var entries = w.WriteArrayStart(DBusType.Struct);
                    foreach (var (path, perms) in devices)
                    {
                        w.WriteStructureStart();
                        w.WriteString(path);
                        w.WriteString(perms);
                    }
                    w.WriteArrayEnd(entries);
                    break;
                default:
                    throw new ArgumentException($"systemd property {p.Name}: unsupported value {p.Value.GetType().Name}");
            }
        }
        w.WriteArrayEnd(array);
    }

    public void Dispose()
    {
        _connection.Dispose();
        _jobEnded.Dispose();
    }
}
