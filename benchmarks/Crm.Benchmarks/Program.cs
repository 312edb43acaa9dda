using BenchmarkDotNet.Running;

if (args is ["--interleaved", ..])
{
    Crm.Benchmarks.Storage.InterleavedDealCommandRun.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 200);
    return;
}

if (args is ["--loop", ..])
{
    Crm.Benchmarks.Storage.DealCommandLoop.Run(
        args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 1000,
        inMemory: args.Skip(2).Contains("memory"),
        oneAtATime: args.Skip(2).Contains("one"));
    return;
}

if (args is ["--pg-loop", ..])
{
    await Crm.Benchmarks.PostgreSql.PostgreSqlDealCommandLoop.RunAsync(
        args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 40,
        args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 1);
    return;
}

if (args is ["--serialization-pairs", ..])
{
    Crm.Benchmarks.Serialization.SerializationPairs.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 200);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);

/// <summary>Entry point: pick suites with <c>--filter</c>; <c>--interleaved [rounds]</c> for the paired deal-command run.</summary>
public sealed partial class Program;
