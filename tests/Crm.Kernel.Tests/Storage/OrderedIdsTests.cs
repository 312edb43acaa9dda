using Crm.Kernel.Storage;
using FsCheck.Xunit;
using NodaTime;
using Xunit;

namespace Crm.Kernel.Tests.Storage;

/// <summary>The kernel's commit and event ids: UUID version 7, strictly increasing, unique across threads.</summary>
public sealed class OrderedIdsTests
{
    private static readonly Instant Epoch2026 = Instant.FromUtc(2026, 1, 1, 0, 0);

    [Fact]
    public void The_layout_matches_the_RFC_9562_example()
    {
        // RFC 9562, appendix A.6: unix_ts_ms 0x017F22E279B0, rand_a 0xCC3, rand_b 0x18C4DC0C0C07398F.
        var id = OrderedIds.Compose((0x017F22E279B0L << 12) | 0xCC3, 0x18C4DC0C0C07398FL);

        Assert.Equal(Guid.Parse("017F22E2-79B0-7CC3-98C4-DC0C0C07398F"), id);
        Assert.Equal(7, id.Version);
    }

    [Property(MaxTest = 200)]
    public bool Ids_increase_in_byte_order_whatever_the_clock_does(short[] steps)
    {
        // The clock moves by the given milliseconds, sometimes back, often not at all.
        var ids = new OrderedIds();
        var now = Epoch2026;
        var previous = ids.Next(now);
        foreach (var step in steps)
        {
            now += Duration.FromMilliseconds(step % 5);
            var next = ids.Next(now);
            if (Compare(previous, next) >= 0 || next.Version != 7 || (next.Variant & 0b1100) != 0b1000)
            {
                return false;
            }

            previous = next;
        }

        return true;
    }

    [Fact]
    public void Ids_carry_the_clocks_milliseconds_and_borrow_the_next_one_when_the_counter_runs_out()
    {
        var ids = new OrderedIds();
        var generated = Enumerable.Range(0, 5000).Select(_ => ids.Next(Epoch2026)).ToList();

        var milliseconds = generated.Select(Milliseconds).ToList();
        Assert.Equal(Epoch2026.ToUnixTimeMilliseconds(), milliseconds[0]);
        Assert.Equal(Epoch2026.ToUnixTimeMilliseconds(), milliseconds[4095]);
        Assert.Equal(Epoch2026.ToUnixTimeMilliseconds() + 1, milliseconds[4096]);
        Assert.True(generated.Zip(generated.Skip(1)).All(p => Compare(p.First, p.Second) < 0));

        // Once the clock passes the borrowed millisecond, ids follow the clock again.
        Assert.Equal(Epoch2026.ToUnixTimeMilliseconds() + 10, Milliseconds(ids.Next(Epoch2026 + Duration.FromMilliseconds(10))));
    }

    [Fact]
    public async Task Ids_made_on_several_threads_at_once_are_all_different()
    {
        var ids = new OrderedIds();
        var clock = new NodaTime.Testing.FakeClock(Epoch2026);
        var batches = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
            Enumerable.Range(0, 20_000).Select(_ => ids.Next(clock.GetCurrentInstant())).ToList())));

        Assert.Equal(80_000, batches.SelectMany(b => b).Distinct().Count());
        Assert.All(batches, batch => Assert.True(batch.Zip(batch.Skip(1)).All(p => Compare(p.First, p.Second) < 0)));
    }

    private static long Milliseconds(Guid id)
    {
        var bytes = id.ToByteArray(bigEndian: true);
        return bytes.Take(6).Aggregate(0L, (value, b) => (value << 8) | b);
    }

    private static int Compare(Guid a, Guid b) =>
        a.ToByteArray(bigEndian: true).AsSpan().SequenceCompareTo(b.ToByteArray(bigEndian: true));
}
