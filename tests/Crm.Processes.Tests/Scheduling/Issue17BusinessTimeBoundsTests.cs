using Crm.Abstractions;
using FsCheck.Xunit;
using Crm.Kernel.Scheduling;
using NodaTime;

namespace Crm.Processes.Tests.Scheduling;

/// <summary>Issue 17 §2: durations have documented bounds and calendar arithmetic never overflows.</summary>
public sealed class Issue17BusinessTimeBoundsTests
{
    private static readonly BusinessCalendar Office = new(new BusinessCalendarOptions { TimeZone = DateTimeZoneProviders.Tzdb["Europe/Oslo"] });

    [Theory]
    [InlineData("2147483647 working days", "3660 working days")]
    [InlineData("3661 working days", "3660 working days")]
    [InlineData("99999999999999999999 working days", "3660 working days")]
    [InlineData("P106751991D", "3660 days")]
    [InlineData("P3661D", "3660 days")]
    [InlineData("PT9999999999H working", "3660 days")]
    [InlineData("P9999999W", "3660 days")]
    public void Issue17_a_duration_above_the_bound_is_refused_at_parse_and_says_the_bound(string text, string bound)
    {
        Assert.False(BusinessDuration.TryParse(text, out _));
        var error = Assert.Throws<FormatException>(() => BusinessDuration.Parse(text));
        Assert.Contains("maximum", error.Message, StringComparison.Ordinal);
        Assert.Contains(bound.Split(' ')[0], error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("3660 working days")]
    [InlineData("P3660D")]
    [InlineData("PT87840H working")]
    public void Issue17_a_duration_at_the_bound_is_accepted_and_computes(string text)
    {
        var duration = BusinessDuration.Parse(text);
        var due = duration.AddTo(Instant.FromUtc(2026, 3, 2, 9, 0), Office);
        Assert.True(due > Instant.FromUtc(2026, 3, 2, 9, 0));
        Assert.Equal(duration, BusinessDuration.Parse(duration.ToString()));
    }

    [Fact]
    public void Issue17_factories_refuse_durations_above_the_bound()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => BusinessDuration.WorkingDays(BusinessDuration.MaxWorkingDays + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => BusinessDuration.WorkingDays(int.MaxValue));
        Assert.Throws<ArgumentOutOfRangeException>(() => BusinessDuration.WorkingHours(int.MaxValue));
        Assert.Throws<ArgumentOutOfRangeException>(() => BusinessDuration.Calendar(BusinessDuration.MaxTime + Duration.Epsilon));
        Assert.Throws<ArgumentOutOfRangeException>(() => BusinessDuration.WorkingTime(Duration.FromDays(100_000)));
    }

    [Fact]
    public void Issue17_calendar_arithmetic_beyond_the_representable_range_throws_a_typed_exception()
    {
        var now = Instant.FromUtc(2026, 3, 2, 9, 0);
        Assert.Throws<BusinessTimeOutOfRangeException>(() => Office.AddWorkingDays(now, int.MaxValue));
        Assert.Throws<BusinessTimeOutOfRangeException>(() => Office.AddWorkingDays(new LocalDate(2026, 3, 2), int.MaxValue));
        Assert.Throws<BusinessTimeOutOfRangeException>(() => Office.SubtractWorkingDays(now, int.MaxValue));
        Assert.Throws<BusinessTimeOutOfRangeException>(() => Office.AddWorkingTime(now, Duration.FromDays(10_000_000)));
        Assert.Throws<BusinessTimeOutOfRangeException>(() => Office.SubtractWorkingTime(now, Duration.FromDays(10_000_000)));
        Assert.Throws<BusinessTimeOutOfRangeException>(() => Office.AddWorkingDays(Instant.MaxValue, 1));
        Assert.Throws<BusinessTimeOutOfRangeException>(() => Office.NextWorkingDayAt(Instant.MaxValue, new LocalTime(9, 0)));
        Assert.Throws<BusinessTimeOutOfRangeException>(() => Office.ClampToWorkingHours(Instant.MaxValue));
        Assert.Throws<BusinessTimeOutOfRangeException>(() => BusinessDuration.Calendar(BusinessDuration.MaxTime).AddTo(Instant.FromUtc(9999, 1, 1, 0, 0), Office));
        Assert.Throws<BusinessTimeOutOfRangeException>(() => BusinessDuration.Calendar(BusinessDuration.MaxTime).SubtractFrom(Instant.MinValue, Office));
        Assert.Equal(0, Office.CountWorkingDays(LocalDate.MaxIsoValue, LocalDate.MaxIsoValue));
        Assert.True(Office.CountWorkingDays(LocalDate.MaxIsoValue.PlusDays(-10), LocalDate.MaxIsoValue) > 0);
    }

    [Property(MaxTest = 2000)]
    public bool Issue17_calendar_arithmetic_returns_an_instant_or_a_typed_exception_for_any_input(int days, long seconds, long startTicks)
    {
        // Starts anywhere in NodaTime's range; amounts of any size and sign.
        var span = (Instant.MaxValue - Instant.MinValue).TotalTicks;
        var start = Instant.MinValue + Duration.FromTicks((long)(Math.Abs((double)startTicks) / long.MaxValue * span * 0.999999));
        var time = Duration.FromSeconds(seconds / 1000);
        return Survives(() => Office.AddWorkingDays(start, days))
            && Survives(() => Office.SubtractWorkingDays(start, days))
            && Survives(() => Office.AddWorkingTime(start, time))
            && Survives(() => Office.SubtractWorkingTime(start, time))
            && Survives(() => Office.NextWorkingDayAt(start, new LocalTime(9, 0)))
            && Survives(() => Office.ClampToWorkingHours(start));
    }

    private static bool Survives(Func<Instant> compute)
    {
        try
        {
            var result = compute();
            return result >= Instant.MinValue && result <= Instant.MaxValue;
        }
        catch (BusinessTimeOutOfRangeException)
        {
            return true;
        }
        catch (ArgumentOutOfRangeException e) when (e.ParamName is "workingDays" or "workingTime")
        {
            return true; // negative amounts are refused as documented
        }
    }
}
