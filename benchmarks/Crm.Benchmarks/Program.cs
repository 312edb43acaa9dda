using BenchmarkDotNet.Running;

if (args is ["--interleaved", ..])
{
    Crm.Benchmarks.Storage.InterleavedDealCommandRun.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 200);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);

/// <summary>Entry point: pick suites with <c>--filter</c>; <c>--interleaved [rounds]</c> for the paired deal-command run.</summary>
public sealed partial class Program;
