using System.Diagnostics;

namespace Crm.Benchmarks.Storage;

/// <summary>
/// A paired measurement for a noisy machine (<c>dotnet run -c Release --project benchmarks/Crm.Benchmarks -- --interleaved [rounds]</c>):
/// the cases of <see cref="SqliteDealCommandBenchmarks"/> run alternately in one process, raw then the kernel with the
/// writer sleeping at once (<c>WriterSpin</c> zero) then the kernel with the default writer spin, round after round, so
/// all see the same load; it prints the medians per command and the medians of the per-round ratios. BenchmarkDotNet
/// runs each case in its own process at another moment, which on a shared 2-core machine can change the load between
/// the baseline and the kernel.
/// </summary>
internal static class InterleavedDealCommandRun
{
    public static void Run(int rounds)
    {
        var sleeping = new SqliteDealCommandBenchmarks { WriterSpinMicroseconds = 0 };
        var spinning = new SqliteDealCommandBenchmarks();
        sleeping.Setup();
        spinning.Setup();
        Console.WriteLine($"rows per command, kernel and raw alike: {spinning.RowsPerCommand}");
        try
        {
            // The kernel side reaches its steady state only after some 50,000 commands (JIT tiers): warm it up first,
            // else the paired rounds measure the warm-up (as the tables before session 13 in benchmarks/README.md did).
            for (var i = 0; i < 750; i++)
            {
                sleeping.Kernel_SetField_100_at_once_group_commit().GetAwaiter().GetResult();
                spinning.Kernel_SetField_100_at_once_group_commit().GetAwaiter().GetResult();
            }

            Measure("100 commands per transaction", rounds, spinning.Raw_insert_loop_100_commands_per_transaction,
                () => sleeping.Kernel_SetField_100_at_once_group_commit().GetAwaiter().GetResult(),
                () => spinning.Kernel_SetField_100_at_once_group_commit().GetAwaiter().GetResult());
            Measure("one command per transaction", Math.Max(5, rounds / 4), spinning.Raw_insert_loop_one_transaction_per_command,
                () => sleeping.Kernel_SetField_one_at_a_time().GetAwaiter().GetResult(),
                () => spinning.Kernel_SetField_one_at_a_time().GetAwaiter().GetResult());
        }
        finally
        {
            sleeping.Cleanup();
            spinning.Cleanup();
        }
    }

    private static void Measure(string name, int rounds, Action raw, Action sleeping, Action spinning)
    {
        // Warm up until all paths run tier-1 code (the kernel path is far more code than the raw loop).
        for (var i = 0; i < Math.Max(3, rounds / 4); i++)
        {
            raw();
            sleeping();
            spinning();
        }

        var rawTimes = new double[rounds];
        var sleepingTimes = new double[rounds];
        var spinningTimes = new double[rounds];
        var sleepingRatios = new double[rounds];
        var spinningRatios = new double[rounds];
        for (var r = 0; r < rounds; r++)
        {
            rawTimes[r] = Time(raw);
            // Alternate which kernel goes first, so neither always follows the raw loop.
            if (r % 2 == 0)
            {
                sleepingTimes[r] = Time(sleeping);
                spinningTimes[r] = Time(spinning);
            }
            else
            {
                spinningTimes[r] = Time(spinning);
                sleepingTimes[r] = Time(sleeping);
            }

            sleepingRatios[r] = rawTimes[r] / sleepingTimes[r];
            spinningRatios[r] = rawTimes[r] / spinningTimes[r];
        }

        Console.WriteLine(FormattableString.Invariant($"{name}: {rounds} rounds; per command, median raw {Median(rawTimes):F1} µs"));
        Console.WriteLine(FormattableString.Invariant(
            $"  writer sleeps at once: kernel {Median(sleepingTimes):F1} µs; kernel rows/s ÷ raw rows/s: median {Median(sleepingRatios):F2} (quartiles {Quartiles(sleepingRatios)})"));
        Console.WriteLine(FormattableString.Invariant(
            $"  writer spins (default): kernel {Median(spinningTimes):F1} µs; kernel rows/s ÷ raw rows/s: median {Median(spinningRatios):F2} (quartiles {Quartiles(spinningRatios)})"));
    }

    private static double Time(Action run)
    {
        var start = Stopwatch.GetTimestamp();
        run();
        return Stopwatch.GetElapsedTime(start).TotalMicroseconds / 100;
    }

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }

    private static string Quartiles(double[] values)
    {
        var sorted = values.Order().ToArray();
        return FormattableString.Invariant($"{sorted[sorted.Length / 4]:F2}–{sorted[3 * sorted.Length / 4]:F2}");
    }
}
