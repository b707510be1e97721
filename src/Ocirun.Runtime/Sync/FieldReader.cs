using System.Buffers.Binary;
using System.Text;

namespace Ocirun.Runtime.Sync;

/// <summary>Reads back, in the same order, what a <see cref="FieldWriter"/> wrote.</summary>
public sealed class FieldReader(byte[] data)
{
    private int _at;

    /// <summary>Whether every byte was read: a frame with bytes left over was written by another layout.</summary>
    public bool AtEnd => _at == data.Length;

    public bool Bool() => Take(1)[0] != 0;

    public int I32() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));

    public uint U32() => (uint)I32();

    public long I64() => BinaryPrimitives.ReadInt64LittleEndian(Take(8));

    public ulong U64() => (ulong)I64();

    public int? NullableI32() => Bool() ? I32() : null;

    public uint? NullableU32() => Bool() ? U32() : null;

    public ulong? NullableU64() => Bool() ? U64() : null;

    /// <summary>Reads the presence byte of a nullable value; the caller reads it when true.</summary>
    public bool Present() => Bool();

    public string? String()
    {
        int length = I32();
        return length < 0 ? null : Encoding.UTF8.GetString(Take(length));
    }

    public byte[]? Bytes()
    {
        int length = I32();
        return length < 0 ? null : Take(length).ToArray();
    }

    public List<T>? List<T>(Func<FieldReader, T> item)
    {
        int count = Count();
        if (count < 0)
        {
            return null;
        }
        var items = new List<T>(count);
        for (int i = 0; i < count; i++)
        {
            items.Add(item(this));
        }
        return items;
    }

    public List<string>? Strings() => List(static r => r.String()!);

    public Dictionary<string, T>? Map<T>(Func<FieldReader, T> value)
    {
        int count = Count();
        if (count < 0)
        {
            return null;
        }
        var map = new Dictionary<string, T>(count);
        for (int i = 0; i < count; i++)
        {
            var key = String()!;
            map[key] = value(this);
        }
        return map;
    }

    public Dictionary<string, string>? StringMap() => Map(static r => r.String()!);

    /// <summary>A count that cannot exceed what is left (every element takes at least a byte).</summary>
    private int Count()
    {
        int count = I32();
        if (count > data.Length - _at)
        {
            throw new InvalidDataException("frame field count runs past its end");
        }
        return count;
    }

    private ReadOnlySpan<byte> Take(int length)
    {
        if (length < 0 || length > data.Length - _at)
        {
            throw new InvalidDataException("frame ends inside a field");
        }
        var span = data.AsSpan(_at, length);
        _at += length;
        return span;
    }
}
