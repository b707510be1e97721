using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Ocirun.Runtime.Sync;

/// <summary>
/// Writes the fields of a binary frame in order, little-endian, with no names or tags: the
/// reader (<see cref="FieldReader"/>) takes them back in the same order. Used where both ends
/// are this binary, so that the init needs no serializer (and no metadata) to learn its job.
/// Nullable values and lists carry a presence byte or a count of -1 for null.
/// </summary>
public sealed class FieldWriter
{
    private readonly ArrayBufferWriter<byte> _buffer = new(4096);

    public byte[] ToArray() => _buffer.WrittenSpan.ToArray();

    public void Bool(bool value) => Byte(value ? (byte)1 : (byte)0);

    public void I32(int value)
    {
        BinaryPrimitives.WriteInt32LittleEndian(_buffer.GetSpan(4), value);
        _buffer.Advance(4);
    }

    public void U32(uint value) => I32((int)value);

    public void I64(long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(_buffer.GetSpan(8), value);
        _buffer.Advance(8);
    }

    public void U64(ulong value) => I64((long)value);

    public void NullableI32(int? value)
    {
        if (Present(value.HasValue))
        {
            I32(value!.Value);
        }
    }

    public void NullableU32(uint? value)
    {
        if (Present(value.HasValue))
        {
            U32(value!.Value);
        }
    }

    public void NullableU64(ulong? value)
    {
        if (Present(value.HasValue))
        {
            U64(value!.Value);
        }
    }

    /// <summary>Writes whether a nullable value follows; the caller writes it when true.</summary>
    public bool Present(bool present)
    {
        Bool(present);
        return present;
    }

    public void String(string? value)
    {
        if (value == null)
        {
            I32(-1);
            return;
        }
        int length = Encoding.UTF8.GetByteCount(value);
        I32(length);
        Encoding.UTF8.GetBytes(value, _buffer.GetSpan(length));
        _buffer.Advance(length);
    }

    public void Bytes(byte[]? value)
    {
        I32(value?.Length ?? -1);
        if (value != null)
        {
            _buffer.Write(value);
        }
    }

    public void List<T>(List<T>? items, Action<FieldWriter, T> item)
    {
        I32(items?.Count ?? -1);
        foreach (var x in items ?? [])
        {
            item(this, x);
        }
    }

    public void Strings(List<string>? items) => List(items, static (w, s) => w.String(s));

    public void Map<T>(Dictionary<string, T>? map, Action<FieldWriter, T> value)
    {
        I32(map?.Count ?? -1);
        foreach (var (k, v) in map ?? [])
        {
            String(k);
            value(this, v);
        }
    }

    public void StringMap(Dictionary<string, string>? map) => Map(map, static (w, s) => w.String(s));

    private void Byte(byte value)
    {
        _buffer.GetSpan(1)[0] = value;
        _buffer.Advance(1);
    }
}
