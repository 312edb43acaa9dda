using System.Diagnostics;
using System.Globalization;

namespace Crm.Benchmarks.Storage;

/// <summary>
/// A loop for profilers and quick checks (<c>dotnet run -c Release --project benchmarks/Crm.Benchmarks -- --loop [rounds] [memory] [one]</c>,
/// e.g. under <c>dotnet-trace collect</c>): the grouped kernel case of <see cref="SqliteDealCommandBenchmarks"/> round
/// after round (<c>one</c>: the one-command-per-transaction case; <c>memory</c>: on the in-memory store, for the kernel's
/// own cost), printing per command the elapsed and process CPU time, the time the command side takes before its commit
/// is queued (in the grouped case), and allocations.
/// </summary>
internal static class DealCommandLoop
{
    public static void Run(int rounds, bool inMemory, bool oneAtATime = false)
    {
        var benchmarks = new SqliteDealCommandBenchmarks { InMemory = inMemory };
        benchmarks.Setup();
        try
        {
            // 750 rounds of warm-up: the kernel side takes some 50,000 commands to reach its steady state (JIT tiers).
            for (var i = 0; i < 750; i++)
            {
                benchmarks.Kernel_SetField_100_at_once_group_commit().GetAwaiter().GetResult();
            }

            var process = Process.GetCurrentProcess();
            var cpu = process.TotalProcessorTime;
            var allocated = GC.GetTotalAllocatedBytes();
            var clock = Stopwatch.StartNew();
            var issuing = TimeSpan.Zero;
            for (var r = 0; r < rounds; r++)
            {
                var start = clock.Elapsed;
                var round = oneAtATime ? benchmarks.Kernel_SetField_one_at_a_time() : benchmarks.Kernel_SetField_100_at_once_group_commit();
                issuing += clock.Elapsed - start; // commands run synchronously up to their queued commit
                round.GetAwaiter().GetResult();
            }

            process.Refresh();
            var commands = rounds * 100.0;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{rounds} rounds of 100 ({(inMemory ? "in-memory store" : "SQLite")}, {(oneAtATime ? "one per transaction" : "all at once")}), per command: {clock.Elapsed.TotalMicroseconds / commands:F1} µs elapsed, "
                + $"{(process.TotalProcessorTime - cpu).TotalMicroseconds / commands:F1} µs CPU, {issuing.TotalMicroseconds / commands:F1} µs until the commit is queued, "
                + $"{(GC.GetTotalAllocatedBytes() - allocated) / commands:F0} B allocated"));
        }
        finally
        {
            benchmarks.Cleanup();
        }
    }
}
