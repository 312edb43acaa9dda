using System.Globalization;
using NodaTime;
using NodaTime.Text;

namespace Crm.Kernel.Scheduling;

/// <summary>How a <see cref="BusinessDuration"/> is counted.</summary>
public enum BusinessDurationKind
{
    /// <summary>Whole working days (<see cref="BusinessCalendar.AddWorkingDays(Instant, int)"/>).</summary>
    WorkingDays = 0,

    /// <summary>Elapsed time counted only within working hours (<see cref="BusinessCalendar.AddWorkingTime"/>).</summary>
    WorkingTime = 1,

    /// <summary>Plain elapsed time, nights and weekends included.</summary>
    Calendar = 2,
}

/// <summary>
/// A due period in business time: N working days, an amount of working time, or a calendar duration.
/// Text form (used in JSON templates): <c>"5 working days"</c> (or <c>"1 working day"</c>), <c>"PT4H working"</c>
/// (an ISO-8601 duration of working time) and <c>"PT48H"</c> / <c>"P2D"</c> (calendar time; a day is 24 hours).
/// </summary>
public readonly record struct BusinessDuration
{
    private BusinessDuration(BusinessDurationKind kind, int days, Duration time)
    {
        Kind = kind;
        Days = days;
        Time = time;
    }

    /// <summary>How the duration is counted.</summary>
    public BusinessDurationKind Kind { get; }

    /// <summary>The number of working days when <see cref="Kind"/> is <see cref="BusinessDurationKind.WorkingDays"/>, else 0.</summary>
    public int Days { get; }

    /// <summary>The time for <see cref="BusinessDurationKind.WorkingTime"/> and <see cref="BusinessDurationKind.Calendar"/>, else zero.</summary>
    public Duration Time { get; }

    /// <summary>N working days.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="days"/> is negative.</exception>
    public static BusinessDuration WorkingDays(int days)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(days);
        return new BusinessDuration(BusinessDurationKind.WorkingDays, days, Duration.Zero);
    }

    /// <summary>N hours counted within working hours only.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="hours"/> is negative.</exception>
    public static BusinessDuration WorkingHours(int hours)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(hours);
        return WorkingTime(Duration.FromHours(hours));
    }

    /// <summary>An amount of time counted within working hours only.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="time"/> is negative.</exception>
    public static BusinessDuration WorkingTime(Duration time)
    {
        if (time < Duration.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(time), time, "A business duration must not be negative.");
        }

        return new BusinessDuration(BusinessDurationKind.WorkingTime, 0, time);
    }

    /// <summary>Plain elapsed time, nights and weekends included.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="time"/> is negative.</exception>
    public static BusinessDuration Calendar(Duration time)
    {
        if (time < Duration.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(time), time, "A business duration must not be negative.");
        }

        return new BusinessDuration(BusinessDurationKind.Calendar, 0, time);
    }

    /// <summary>The instant this duration after <paramref name="start"/> in <paramref name="calendar"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="calendar"/> is null.</exception>
    public Instant AddTo(Instant start, BusinessCalendar calendar)
    {
        ArgumentNullException.ThrowIfNull(calendar);
        return Kind switch
        {
            BusinessDurationKind.WorkingDays => calendar.AddWorkingDays(start, Days),
            BusinessDurationKind.WorkingTime => calendar.AddWorkingTime(start, Time),
            _ => start + Time,
        };
    }

    /// <summary>The instant this duration before <paramref name="end"/>, e.g. a reminder before a deadline.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="calendar"/> is null.</exception>
    public Instant SubtractFrom(Instant end, BusinessCalendar calendar)
    {
        ArgumentNullException.ThrowIfNull(calendar);
        return Kind switch
        {
            BusinessDurationKind.WorkingDays => calendar.SubtractWorkingDays(end, Days),
            BusinessDurationKind.WorkingTime => calendar.SubtractWorkingTime(end, Time),
            _ => end - Time,
        };
    }

    /// <summary>The text form, e.g. <c>5 working days</c>, <c>PT4H working</c> or <c>PT48H</c>.</summary>
    public override string ToString() => Kind switch
    {
        BusinessDurationKind.WorkingDays => Days == 1 ? "1 working day" : $"{Days.ToString(CultureInfo.InvariantCulture)} working days",
        BusinessDurationKind.WorkingTime => FormatIso(Time) + " working",
        _ => FormatIso(Time),
    };

    /// <summary>Parses the text form written by <see cref="ToString"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    /// <exception cref="FormatException">The text is not a business duration; the message shows the accepted forms.</exception>
    public static BusinessDuration Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParse(text, out var result)
            ? result
            : throw new FormatException($"'{text}' is not a business duration; use e.g. \"5 working days\", \"PT4H working\" or \"PT48H\".");
    }

    /// <summary>Parses the text form written by <see cref="ToString"/>; false when it is not one.</summary>
    public static bool TryParse(string? text, out BusinessDuration result)
    {
        result = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var parts = text.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 3 && parts[1] == "working" && (parts[2] == "days" || parts[2] == "day")
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var days))
        {
            result = WorkingDays(days);
            return true;
        }

        if (parts.Length == 2 && parts[1] == "working" && TryParseIso(parts[0], out var working))
        {
            result = WorkingTime(working);
            return true;
        }

        if (parts.Length == 1 && TryParseIso(parts[0], out var calendar))
        {
            result = Calendar(calendar);
            return true;
        }

        return false;
    }

    private static string FormatIso(Duration time) =>
        PeriodPattern.NormalizingIso.Format(Period.FromNanoseconds(time.ToInt64Nanoseconds()).Normalize());

    private static bool TryParseIso(string text, out Duration duration)
    {
        duration = Duration.Zero;
        var parsed = PeriodPattern.NormalizingIso.Parse(text);
        if (!parsed.Success || parsed.Value.Years != 0 || parsed.Value.Months != 0)
        {
            return false;
        }

        duration = parsed.Value.ToDuration();
        return duration >= Duration.Zero;
    }
}
