using FsCheck;
using FsCheck.Xunit;
using NodaTime;

namespace Crm.Processes.Tests.Scheduling;

public sealed class BusinessCalendarPropertyTests
{
    [Property(MaxTest = 500)]
    public bool AddWorkingDays_lands_on_a_working_day(int zone, int hours, int at, NonNegativeInt n)
    {
        var calendar = CalendarSamples.Calendar(zone, hours);
        var result = calendar.AddWorkingDays(CalendarSamples.InstantFrom(at), n.Get % 40);
        return calendar.IsWorkingDay(result.InZone(calendar.TimeZone).Date);
    }

    [Property(MaxTest = 500)]
    public bool AddWorkingDays_then_counting_gives_n(int zone, int hours, int at, PositiveInt n)
    {
        var calendar = CalendarSamples.Calendar(zone, hours);
        var from = CalendarSamples.InstantFrom(at);
        var days = n.Get % 40 + 1;
        var result = calendar.AddWorkingDays(from, days);
        return calendar.CountWorkingDays(from.InZone(calendar.TimeZone).Date, result.InZone(calendar.TimeZone).Date) == days;
    }

    [Property(MaxTest = 500)]
    public bool AddWorkingDays_on_dates_then_counting_gives_n(int zone, int at, PositiveInt n)
    {
        var calendar = CalendarSamples.Calendar(zone, 0);
        var from = CalendarSamples.InstantFrom(at).InUtc().Date;
        var days = n.Get % 60 + 1;
        var result = calendar.AddWorkingDays(from, days);
        return calendar.IsWorkingDay(result) && calendar.CountWorkingDays(from, result) == days;
    }

    [Property(MaxTest = 500)]
    public bool Results_are_strictly_after_the_input_for_positive_n(int zone, int hours, int at, PositiveInt n, PositiveInt minutes)
    {
        var calendar = CalendarSamples.Calendar(zone, hours);
        var from = CalendarSamples.InstantFrom(at);
        return calendar.AddWorkingDays(from, n.Get % 40 + 1) > from
            && calendar.AddWorkingTime(from, Duration.FromMinutes(minutes.Get % 10_000 + 1)) > from
            && calendar.NextWorkingDayAt(from, new LocalTime(9, 0)) > from;
    }

    [Property(MaxTest = 500)]
    public bool NextWorkingDayAt_is_a_working_day_at_the_requested_or_DST_shifted_time(int zone, int hours, int at, int minuteOfDay)
    {
        var calendar = CalendarSamples.Calendar(zone, hours);
        var from = CalendarSamples.InstantFrom(at);
        var time = LocalTime.Midnight.PlusMinutes(Math.Abs(minuteOfDay % (24 * 60)));
        var local = calendar.NextWorkingDayAt(from, time).InZone(calendar.TimeZone);
        if (!calendar.IsWorkingDay(local.Date) || local.Date <= from.InZone(calendar.TimeZone).Date)
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

    [Property(MaxTest = 500)]
    public bool ClampToWorkingHours_is_not_before_the_input_and_within_working_hours(int zone, int hours, int at)
    {
        var calendar = CalendarSamples.Calendar(zone, hours);
        var from = CalendarSamples.InstantFrom(at);
        var clamped = calendar.ClampToWorkingHours(from);
        return clamped >= from && calendar.IsWithinWorkingHours(clamped) && (clamped == from) == calendar.IsWithinWorkingHours(from);
    }

    [Property(MaxTest = 300)]
    public bool AddWorkingTime_then_SubtractWorkingTime_returns_to_the_clamped_start(int zone, int at, PositiveInt minutes)
    {
        var calendar = CalendarSamples.Calendar(zone, 0);
        var from = calendar.ClampToWorkingHours(CalendarSamples.InstantFrom(at));
        var time = Duration.FromMinutes(minutes.Get % 5_000 + 1);
        var later = calendar.AddWorkingTime(from, time);
        return calendar.IsWithinWorkingHours(later) || later == EndOfDay(calendar, later)
            ? calendar.SubtractWorkingTime(later, time) == from
            : false;
    }

    private static Instant EndOfDay(Crm.Kernel.Scheduling.BusinessCalendar calendar, Instant instant)
    {
        var date = instant.InZone(calendar.TimeZone).Date;
        return calendar.TimeZone.ResolveLocal(date + calendar.WorkingHoursEnd, NodaTime.TimeZones.Resolvers.LenientResolver).ToInstant();
    }
}
