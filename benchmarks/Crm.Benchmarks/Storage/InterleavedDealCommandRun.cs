using System.Diagnostics;

namespace Crm.Benchmarks.Storage;

/// <summary>
/// A paired measurement for a noisy machine (<c>dotnet run -c Release --project benchmarks/Crm.Benchmarks -- --interleaved [rounds]</c>):
/// the cases of <see cref="SqliteDealCommandBenchmarks"/> run alternately in one process, raw then kernel, round after
/// round, so both see the same load; it prints the medians per command and the median of the per-round ratios.
/// BenchmarkDotNet runs each case in its own process at another moment, which on a shared 2-core machine can change
/// the load between the baseline and the kernel.
/// </summary>
internal static class InterleavedDealCommandRun
{
    public static void Run(int rounds)
    {
        var benchmarks = new SqliteDealCommandBenchmarks();
        benchmarks.Setup();
        Console.WriteLine($"rows per command, kernel and raw alike: {benchmarks.RowsPerCommand}");
        try
        {
            // The kernel side reaches its steady state only after some 50,000 commands (JIT tiers): warm it up first,
            // else the paired rounds measure the warm-up (as the tables before session 13 in benchmarks/README.md did).
            for (var i = 0; i < 750; i++)
            {
                benchmarks.Kernel_SetField_100_at_once_group_commit().GetAwaiter().GetResult();
            }

            Measure("100 commands per transaction", rounds,
                benchmarks.Raw_insert_loop_100_commands_per_transaction, () => benchmarks.Kernel_SetField_100_at_once_group_commit().GetAwaiter().GetResult());
            Measure("one command per transaction", Math.Max(5, rounds / 4),
                benchmarks.Raw_insert_loop_one_transaction_per_command, () => benchmarks.Kernel_SetField_one_at_a_time().GetAwaiter().GetResult());
        }
        finally
        {
            benchmarks.Cleanup();
        }
    }

    private static void Measure(string name, int rounds, Action raw, Action kernel)
    {
        // Warm up until both paths run tier-1 code (the kernel path is far more code than the raw loop).
        for (var i = 0; i < Math.Max(3, rounds / 4); i++)
        {
            raw();
            kernel();
        }

        var rawTimes = new double[rounds];
        var kernelTimes = new double[rounds];
        var ratios = new double[rounds];
        for (var r = 0; r < rounds; r++)
        {
            var clock = Stopwatch.StartNew();
            raw();
            rawTimes[r] = clock.Elapsed.TotalMicroseconds / 100;
            clock.Restart();
            kernel();
            kernelTimes[r] = clock.Elapsed.TotalMicroseconds / 100;
            ratios[r] = rawTimes[r] / kernelTimes[r];
        }

        Array.Sort(rawTimes);
        Array.Sort(kernelTimes);
        Array.Sort(ratios);
        Console.WriteLine(FormattableString.Invariant(
            $"{name}: {rounds} rounds; per command, median raw {rawTimes[rounds / 2]:F1} µs, kernel {kernelTimes[rounds / 2]:F1} µs; kernel rows/s ÷ raw rows/s: median {ratios[rounds / 2]:F2} (quartiles {ratios[rounds / 4]:F2}–{ratios[3 * rounds / 4]:F2})"));
    }
}
