using Ocirun.Cli;
using Ocirun.Cli.Commands;
using Ocirun.Runtime;
using Ocirun.Runtime.Linux;
using Ocirun.Runtime.Process;

// `ocirun init` reaches Main only in the container init: the native constructor has already
// put this process into the container's namespaces.
if (args.Length == 1 && args[0] == "init" && Environment.GetEnvironmentVariable("_OCIRUN_SYNC_FD") != null)
{
    return InitStage.Run();
}
return Cli.Execute(args);
