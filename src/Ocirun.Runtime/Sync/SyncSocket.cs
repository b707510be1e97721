using System.Buffers.Binary;
using System.Text;
using Ocirun.Runtime.Linux;

namespace Ocirun.Runtime.Sync;

/// <summary>Length-prefixed frames over a stream socket: u32 type, u32 length, payload.</summary>
public sealed class SyncSocket(int fd) : IDisposable
{
    public const int MaxFrame = 16 << 20;

    public int Fd { get; private set; } = fd;

    public void Send(SyncType type, ReadOnlySpan<byte> payload)
    {
        Span<byte> header = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(header, (uint)type);
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], (uint)payload.Length);
        var frame = new byte[8 + payload.Length];
        header.CopyTo(frame);
        payload.CopyTo(frame.AsSpan(8));
        Sys.WriteAll(Fd, frame, "sync socket");
    }

    public void Send(SyncType type) => Send(type, ReadOnlySpan<byte>.Empty);

    public void SendError(int errno, string message)
    {
        var msg = Encoding.UTF8.GetBytes(message);
        var payload = new byte[4 + msg.Length];
        BinaryPrimitives.WriteInt32LittleEndian(payload, errno);
        msg.CopyTo(payload, 4);
        Send(SyncType.Error, payload);
    }

    /// <summary>The next frame, or null at end of stream (the peer is gone).</summary>
    public (SyncType Type, byte[] Payload)? Receive()
    {
        Span<byte> header = stackalloc byte[8];
        if (!Sys.ReadExact(Fd, header, "sync socket"))
        {
            return null;
        }
        var type = (SyncType)BinaryPrimitives.ReadUInt32LittleEndian(header);
        var len = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
        if (len > MaxFrame)
        {
            throw new InvalidDataException($"sync frame of {len} bytes is too large");
        }
        var payload = new byte[len];
        if (len > 0 && !Sys.ReadExact(Fd, payload, "sync socket"))
        {
            throw new InvalidDataException("sync socket closed inside a frame");
        }
        return (type, payload);
    }

    /// <summary>Decodes an error frame: errno and message.</summary>
    public static (int Errno, string Message) DecodeError(byte[] payload)
    {
        if (payload.Length < 4)
        {
            return (0, "malformed error frame");
        }
        return (BinaryPrimitives.ReadInt32LittleEndian(payload), Encoding.UTF8.GetString(payload, 4, payload.Length - 4));
    }

    public void Dispose()
    {
        Sys.Close(Fd);
        Fd = -1;
    }
}
