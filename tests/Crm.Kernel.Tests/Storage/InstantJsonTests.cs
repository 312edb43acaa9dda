using System.Text;
using System.Text.Json;
using Crm.Kernel.Storage;
using FsCheck.Xunit;
using NodaTime;
using NodaTime.Text;
using Xunit;

namespace Crm.Kernel.Tests.Storage;

/// <summary>Stored instants are written and read digit by digit: the text must be exactly NodaTime's extended ISO pattern's.</summary>
public sealed class InstantJsonTests
{
    [Property(MaxTest = 200)]
    public bool Written_text_equals_the_extended_iso_pattern_and_reads_back(FsCheck.DoNotSize<int> seed)
    {
        // Each case draws 100 instants from a generator seeded over the whole int range (DoNotSize: not FsCheck's
        // sized ±100, issue 18): years −8,800 to 9,990 (before year 1: the pattern's fallback), with nanoseconds, ticks
        // or whole seconds.
        var random = new Random(seed.Item);
        for (var i = 0; i < 100; i++)
        {
            var instant = Instant.FromUnixTimeTicks(random.NextInt64(-3_400_000_000_000_000_000L, 2_530_000_000_000_000_000L));
            instant = (i % 3) switch
            {
                0 => Instant.FromUnixTimeSeconds(instant.ToUnixTimeSeconds()),
                1 => instant,
                _ => instant.PlusNanoseconds(random.Next(100)),
            };
            var json = CrmJson.Serialize(instant);
            if (json != "\"" + InstantPattern.ExtendedIso.Format(instant) + "\"" || CrmJson.Deserialize<Instant>(json) != instant)
            {
                return false;
            }
        }

        return true;
    }

    [Theory]
    [InlineData("2026-01-05T09:00:00Z")]
    [InlineData("2026-01-05T09:00:00.5Z")]
    [InlineData("2026-01-05T09:00:00.500Z")]
    [InlineData("2026-01-05T09:00:00.123456789Z")]
    [InlineData("2024-02-29T23:59:59.9Z")]
    [InlineData("0001-01-01T00:00:00Z")]
    [InlineData("2026-01-05T24:00:00Z")]
    [InlineData("9999-12-31T23:59:59.999999999Z")]
    public void Reads_what_the_pattern_reads(string text) =>
        Assert.Equal(InstantPattern.ExtendedIso.Parse(text).Value, CrmJson.Deserialize<Instant>("\"" + text + "\""));

    [Theory]
    [InlineData("2025-02-29T00:00:00Z")]
    [InlineData("2026-13-01T00:00:00Z")]
    [InlineData("2026-01-05T09:00:00.Z")]
    [InlineData("2026-01-05T09:00:00.1234567891Z")]
    [InlineData("2026-01-05 09:00:00Z")]
    public void Rejects_what_the_pattern_rejects(string text)
    {
        Assert.False(InstantPattern.ExtendedIso.Parse(text).Success);
        Assert.False(CrmJson.InstantConverter.TryParse(Encoding.UTF8.GetBytes(text), out _));
        Assert.ThrowsAny<Exception>(() => CrmJson.Deserialize<Instant>("\"" + text + "\""));
    }

    [Fact]
    public void Instants_outside_years_1_to_9999_go_through_the_pattern()
    {
        foreach (var instant in new[] { Instant.MinValue, Instant.MaxValue, Instant.FromUtc(-5, 3, 1, 0, 0) })
        {
            var json = JsonSerializer.Serialize(instant, CrmJson.Options);
            Assert.Equal("\"" + InstantPattern.ExtendedIso.Format(instant) + "\"", json);
            Assert.Equal(instant, CrmJson.Deserialize<Instant>(json));
        }
    }
}
