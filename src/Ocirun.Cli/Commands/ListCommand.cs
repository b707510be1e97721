using System.Text;
using System.Text.Json;
using Ocirun.Spec;
using Ocirun.Spec.Model;
using Ocirun.Runtime.Linux;

namespace Ocirun.Cli.Commands;

public sealed class ListCommand : ICommand
{
    public string Name => "list";
    public string Usage => "lists containers started by ocirun with the given root";
    public OptSpec[] Options => [new("format", OptKind.Value, "f"), new("quiet", OptKind.Bool, "q")];

    public int Run(CommandContext ctx, ParsedArgs args)
    {
        CommandContext.RequireNoArgs(args, "list");
        if (ctx.Global.RootGiven && !Directory.Exists(ctx.Global.Root))
        {
            // A root of the caller's that is not there is a mistake (runc 1.3); the default one
            // is only not made yet: no containers.
            throw new Runtime.ContainerException($"open {ctx.Global.Root}: no such file or directory");
        }
        var format = args.Get("format") ?? "table";
        if (format is not ("table" or "json"))
        {
            throw new Runtime.ContainerException("invalid format option");
        }
        var rows = new List<ContainerStateDocument>();
        foreach (var id in ctx.Containers.Store.Ids())
        {
            var r = ctx.Containers.Store.Load(id);
            if (r == null)
            {
                continue;
            }
            var doc = new Runtime.Container.ContainerStateDocumentView(r, ctx.Containers.StatusOf(r)).Document;
            doc.Owner = OwnerName(ctx.Containers.Store.OwnerOf(id));
            rows.Add(doc);
        }
        if (args.Flag("quiet"))
        {
            foreach (var r in rows)
            {
                StdStreams.Out(r.Id + "\n");
            }
            return 0;
        }
        if (format == "json")
        {
            StdStreams.Out(ToJson(rows) + "\n");
            return 0;
        }
        var table = new List<string[]> { new[] { "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER" } };
        table.AddRange(rows.Select(r => new[] { r.Id, r.Pid.ToString(), r.Status, r.Bundle, r.Created, r.Owner }));
        StdStreams.Out(TabWriter.Format(table, minWidth: 12, padding: 3));
        return 0;
    }

    private static string OwnerName(uint uid)
    {
        try
        {
            foreach (var line in File.ReadLines("/etc/passwd"))
            {
                var f = line.Split(':');
                if (f.Length > 2 && f[2] == uid.ToString())
                {
                    return f[0];
                }
            }
        }
        catch (IOException)
        {
        }
        return "#" + uid;
    }

    /// <summary>One compact line as runc's json.Encoder writes it: an array of state documents, null when there are none.</summary>
    private static string ToJson(List<ContainerStateDocument> rows)
    {
        var w = new GoJsonWriter(indented: false);
        if (rows.Count == 0)
        {
            w.Null();
            return w.ToString();
        }
        w.StartArray();
        foreach (var row in rows)
        {
            row.Write(w);
        }
        w.EndArray();
        return w.ToString();
    }
}

/// <summary>Column alignment like Go's text/tabwriter, which runc uses for tables.</summary>
public static class TabWriter
{
    public static string Format(IReadOnlyList<string[]> rows, int minWidth, int padding)
    {
        int cols = rows.Max(r => r.Length);
        var widths = new int[cols];
        foreach (var r in rows)
        {
            for (int c = 0; c < r.Length - 1; c++)
            {
                widths[c] = Math.Max(widths[c], Math.Max(minWidth, r[c].Length + padding));
            }
        }
        var sb = new StringBuilder();
        foreach (var r in rows)
        {
            for (int c = 0; c < r.Length; c++)
            {
                sb.Append(c < r.Length - 1 ? r[c].PadRight(widths[c]) : r[c]);
            }
            sb.Append('\n');
        }
        return sb.ToString();
    }
}
