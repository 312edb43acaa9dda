using Crm.Abstractions;
using NodaTime;

namespace Crm.Kernel.Scheduling;

/// <summary>Counts a <see cref="BusinessDuration"/> (a Crm.Abstractions value) in a <see cref="BusinessCalendar"/>.</summary>
public static class BusinessDurationExtensions
{
    /// <summary>The instant the duration after <paramref name="start"/> in <paramref name="calendar"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="calendar"/> is null.</exception>
    /// <exception cref="BusinessTimeOutOfRangeException">The result would lie outside the dates the calendar can represent.</exception>
    public static Instant AddTo(this BusinessDuration duration, Instant start, BusinessCalendar calendar)
    {
        ArgumentNullException.ThrowIfNull(calendar);
        return duration.Kind switch
        {
            BusinessDurationKind.WorkingDays => calendar.AddWorkingDays(start, duration.Days),
            BusinessDurationKind.WorkingTime => calendar.AddWorkingTime(start, duration.Time),
            _ => BusinessCalendar.Checked(start, duration.Time),
        };
    }

    /// <summary>The instant the duration before <paramref name="end"/>, e.g. a reminder before a deadline.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="calendar"/> is null.</exception>
    /// <exception cref="BusinessTimeOutOfRangeException">The result would lie outside the dates the calendar can represent.</exception>
    public static Instant SubtractFrom(this BusinessDuration duration, Instant end, BusinessCalendar calendar)
    {
        ArgumentNullException.ThrowIfNull(calendar);
        return duration.Kind switch
        {
            BusinessDurationKind.WorkingDays => calendar.SubtractWorkingDays(end, duration.Days),
            BusinessDurationKind.WorkingTime => calendar.SubtractWorkingTime(end, duration.Time),
            _ => BusinessCalendar.Checked(end, -duration.Time),
        };
    }

}
