using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Crm.Kernel.Deals;
using Crm.Kernel.Storage;

namespace Crm.Benchmarks.Serialization;

/// <summary>
/// <c>--serialization-pairs [rounds]</c>: the deal writers of <see cref="SerializationBenchmarks"/> alternated round
/// after round in one process (5,000 writes each per round), so host drift hits them alike; prints each writer's median
/// per write and the median and quartiles of its per-round ratio to <see cref="DealJson"/>.
/// </summary>
internal static class SerializationPairs
{
    public static void Run(int rounds)
    {
        var bench = new SerializationBenchmarks();
        bench.Setup();
        var writers = new (string Name, Func<string> Write)[]
        {
            ("DealJson", bench.Deal_write_DealJson),
            ("reflection", bench.Deal_write_reflection),
            ("source generated, run-time converters", bench.Deal_write_source_generated),
            ("source generated, compile-time converters", bench.Deal_write_source_generated_compile_time_converters),
        };
        const int writes = 5_000;
        var times = writers.Select(_ => new List<double>()).ToArray();
        for (var round = -5; round < rounds; round++)
        {
            for (var w = 0; w < writers.Length; w++)
            {
                var start = Stopwatch.GetTimestamp();
                for (var i = 0; i < writes; i++)
                {
                    writers[w].Write();
                }

                var ns = Stopwatch.GetElapsedTime(start).TotalNanoseconds / writes;
                if (round >= 0)
                {
                    times[w].Add(ns);
                }
            }
        }

        for (var w = 0; w < writers.Length; w++)
        {
            var ratios = times[w].Zip(times[0], (a, b) => a / b).Order().ToArray();
            var median = times[w].Order().ElementAt(times[w].Count / 2);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{writers[w].Name}: median {median:F0} ns per write; ratio to DealJson {ratios[ratios.Length / 2]:F2} ({ratios[ratios.Length / 4]:F2}–{ratios[ratios.Length * 3 / 4]:F2})"));
        }
    }
}
