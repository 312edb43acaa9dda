using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using NodaTime;

namespace Crm.Processes.Tests.Scheduling;

/// <summary>
/// Calendar invariants over generated zones, hour variants, instants spread over 2020–2030 and instants next to DST
/// transitions (<see cref="CalendarArbitraries"/>); <see cref="Issue18_the_generated_cases_reach_DST_gaps_and_overlaps"/>
/// proves the generator reaches the hours these properties claim to cover.
/// </summary>
public sealed class BusinessCalendarPropertyTests
{
    [Property(MaxTest = 500, Arbitrary = [typeof(CalendarArbitraries)])]
    public bool AddWorkingDays_lands_on_a_working_day(CalendarCase c, NonNegativeInt n)
    {
        var calendar = CalendarSamples.Calendar(c);
        var result = calendar.AddWorkingDays(c.At, n.Get % 40);
        return calendar.IsWorkingDay(result.InZone(calendar.TimeZone).Date);
    }

    [Property(MaxTest = 500, Arbitrary = [typeof(CalendarArbitraries)])]
    public bool AddWorkingDays_then_counting_gives_n(CalendarCase c, PositiveInt n)
    {
        var calendar = CalendarSamples.Calendar(c);
        var days = n.Get % 40 + 1;
        var result = calendar.AddWorkingDays(c.At, days);
        return calendar.CountWorkingDays(c.At.InZone(calendar.TimeZone).Date, result.InZone(calendar.TimeZone).Date) == days;
    }

    [Property(MaxTest = 500, Arbitrary = [typeof(CalendarArbitraries)])]
    public bool AddWorkingDays_on_dates_then_counting_gives_n(CalendarCase c, PositiveInt n)
    {
        var calendar = CalendarSamples.Calendar(c.Zone, 0);
        var from = c.At.InUtc().Date;
        var days = n.Get % 60 + 1;
        var result = calendar.AddWorkingDays(from, days);
        return calendar.IsWorkingDay(result) && calendar.CountWorkingDays(from, result) == days;
    }

    [Property(MaxTest = 500, Arbitrary = [typeof(CalendarArbitraries)])]
    public bool Results_are_strictly_after_the_input_for_positive_n(CalendarCase c, PositiveInt n, PositiveInt minutes)
    {
        var calendar = CalendarSamples.Calendar(c);
        return calendar.AddWorkingDays(c.At, n.Get % 40 + 1) > c.At
            && calendar.AddWorkingTime(c.At, Duration.FromMinutes(minutes.Get % 10_000 + 1)) > c.At
            && calendar.NextWorkingDayAt(c.At, c.Time) > c.At;
    }

    [Property(MaxTest = 500, Arbitrary = [typeof(CalendarArbitraries)])]
    public bool NextWorkingDayAt_is_a_working_day_at_the_requested_or_DST_shifted_time(CalendarCase c)
    {
        var calendar = CalendarSamples.Calendar(c);
        var time = c.Time;
        var local = calendar.NextWorkingDayAt(c.At, time).InZone(calendar.TimeZone);
        if (!calendar.IsWorkingDay(local.Date) || local.Date <= c.At.InZone(calendar.TimeZone).Date)
        {
            return false;
        }

        var mapping = calendar.TimeZone.MapLocal(local.Date + time);
        if (mapping.Count > 0)
        {
            return local.TimeOfDay == time; // ambiguous: the earlier of the two, same wall time
        }

        // In a gap: shifted forward by the gap's length (the lenient resolver).
        var gap = mapping.LateInterval.WallOffset - mapping.EarlyInterval.WallOffset;
        return local.LocalDateTime == (local.Date + time).PlusTicks(gap.Ticks);
    }

    [Property(MaxTest = 500, Arbitrary = [typeof(CalendarArbitraries)])]
    public bool ClampToWorkingHours_is_not_before_the_input_and_within_working_hours(CalendarCase c)
    {
        var calendar = CalendarSamples.Calendar(c);
        var clamped = calendar.ClampToWorkingHours(c.At);
        return clamped >= c.At && calendar.IsWithinWorkingHours(clamped) && (clamped == c.At) == calendar.IsWithinWorkingHours(c.At);
    }

    [Property(MaxTest = 300, Arbitrary = [typeof(CalendarArbitraries)])]
    public bool AddWorkingTime_then_SubtractWorkingTime_returns_to_the_clamped_start(CalendarCase c, PositiveInt minutes)
    {
        var calendar = CalendarSamples.Calendar(c.Zone, 0);
        var from = calendar.ClampToWorkingHours(c.At);
        var time = Duration.FromMinutes(minutes.Get % 5_000 + 1);
        var later = calendar.AddWorkingTime(from, time);
        return calendar.IsWithinWorkingHours(later) || later == EndOfDay(calendar, later)
            ? calendar.SubtractWorkingTime(later, time) == from
            : false;
    }

    /// <summary>
    /// Issue 18: the generator behind these properties must reach what they claim: instants in several years, instants
    /// within the hour of a DST transition, and NextWorkingDayAt targets that fall in a DST gap and in an overlap.
    /// Before, the integers stayed within ±100 (101 start times over three months) and never met a gap hour.
    /// </summary>
    [Fact]
    public void Issue18_the_generated_cases_reach_DST_gaps_and_overlaps()
    {
        var cases = CalendarArbitraries.Cases.Sample(3000);

        var years = cases.Select(c => c.At.InUtc().Year).Distinct().Count();
        var withinAnHourOfATransition = cases.Count(c => CalendarSamples.Transitions[c.Zone].Any(t => Math.Abs((c.At - t).TotalHours) <= 1));
        int gaps = 0, overlaps = 0;
        foreach (var c in cases)
        {
            var calendar = CalendarSamples.Calendar(c);
            var date = calendar.NextWorkingDayAt(c.At, c.Time).InZone(calendar.TimeZone).Date;
            switch (calendar.TimeZone.MapLocal(date + c.Time).Count)
            {
                case 0: gaps++; break;
                case 2: overlaps++; break;
            }
        }

        Assert.True(years >= 9, $"instants in {years} distinct years");
        Assert.True(withinAnHourOfATransition >= 10, $"{withinAnHourOfATransition} instants within an hour of a DST transition");
        Assert.True(gaps >= 3, $"{gaps} NextWorkingDayAt targets in a DST gap");
        Assert.True(overlaps >= 3, $"{overlaps} NextWorkingDayAt targets in a DST overlap");
    }

    private static Instant EndOfDay(Crm.Kernel.Scheduling.BusinessCalendar calendar, Instant instant)
    {
        var date = instant.InZone(calendar.TimeZone).Date;
        return calendar.TimeZone.ResolveLocal(date + calendar.WorkingHoursEnd, NodaTime.TimeZones.Resolvers.LenientResolver).ToInstant();
    }
}
