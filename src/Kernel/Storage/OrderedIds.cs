using NodaTime;

namespace Crm.Kernel.Storage;

/// <summary>
/// Time-ordered ids (UUID version 7, RFC 9562) for commits and events, strictly increasing within a kernel: 48 bits of
/// Unix milliseconds from the kernel's clock, a 12-bit counter for ids of the same millisecond (RFC 9562 §6.2, method
/// 1; when it runs out the ids borrow the next millisecond, so the order holds) and 62 random bits. The random bits
/// come from <see cref="Random.Shared"/>, seeded by the operating system per process: the ids must be unique and
/// ordered, not secret. Thread-safe.
/// </summary>
internal sealed class OrderedIds
{
    private const int CounterBits = 12;
    private const long MaxMilliseconds = (1L << 48) - 1;

    /// <summary>The last id's milliseconds and counter, as <c>(ms &lt;&lt; 12) | counter</c>.</summary>
    private long _last;

    /// <summary>The next id at <paramref name="now"/> (instants before the Unix epoch count as the epoch).</summary>
    public Guid Next(Instant now)
    {
        var milliseconds = Math.Clamp(now.ToUnixTimeMilliseconds(), 0, MaxMilliseconds);
        var floor = milliseconds << CounterBits;
        long last, next;
        do
        {
            last = Volatile.Read(ref _last);
            next = Math.Max(last + 1, floor);
        }
        while (Interlocked.CompareExchange(ref _last, next, last) != last);

        return Compose(next, Random.Shared.NextInt64());
    }

    /// <summary>The version 7 layout, big-endian: time and counter, version and variant bits, random bits.</summary>
    internal static Guid Compose(long timeAndCounter, long random)
    {
        Span<byte> bytes = stackalloc byte[16];
        var milliseconds = timeAndCounter >> CounterBits;
        var counter = (int)(timeAndCounter & ((1 << CounterBits) - 1));
        for (var i = 0; i < 6; i++)
        {
            bytes[i] = (byte)(milliseconds >> (40 - (8 * i)));
        }

        bytes[6] = (byte)(0x70 | (counter >> 8));
        bytes[7] = (byte)counter;
        bytes[8] = (byte)(0x80 | (int)((random >> 56) & 0x3F));
        for (var i = 9; i < 16; i++)
        {
            bytes[i] = (byte)(random >> (8 * (15 - i)));
        }

        return new Guid(bytes, bigEndian: true);
    }
}
