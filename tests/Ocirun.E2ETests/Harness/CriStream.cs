using System.Net.WebSockets;
using System.Text;

namespace Ocirun.E2ETests.Harness;

/// <summary>
/// The client side of a CRI streaming URL (Exec, Attach) as a WebSocket with Kubernetes'
/// "v4.channel.k8s.io" protocol: every message starts with its channel (0 stdin, 1 stdout,
/// 2 stderr, 3 the final status as JSON).
/// </summary>
public static class CriStream
{
    /// <summary>Connects, types input (channel 0) if any, and collects what comes back until the server closes.</summary>
    public static async Task<(string Output, string Status)> Run(string url, TimeSpan timeout, string? input = null)
    {
        using var cancel = new CancellationTokenSource(timeout);
        using var ws = new ClientWebSocket();
        ws.Options.AddSubProtocol("v4.channel.k8s.io");
        await ws.ConnectAsync(new Uri(url.Replace("http://", "ws://", StringComparison.Ordinal)), cancel.Token);
        if (input != null)
        {
            await ws.SendAsync((byte[])[0, .. Encoding.UTF8.GetBytes(input)], WebSocketMessageType.Binary, true, cancel.Token);
        }
        var output = new StringBuilder();
        var status = new StringBuilder();
        var buffer = new byte[64 * 1024];
        var message = new MemoryStream();
        while (true)
        {
            var r = await ws.ReceiveAsync(buffer, cancel.Token);
            if (r.MessageType == WebSocketMessageType.Close)
            {
                break;
            }
            message.Write(buffer, 0, r.Count);
            if (!r.EndOfMessage)
            {
                continue;
            }
            var bytes = message.ToArray();
            message.SetLength(0);
            if (bytes.Length > 1)
            {
                var text = Encoding.UTF8.GetString(bytes, 1, bytes.Length - 1);
                (bytes[0] == 3 ? status : output).Append(text);
            }
        }
        return (output.ToString(), status.ToString());
    }
}
