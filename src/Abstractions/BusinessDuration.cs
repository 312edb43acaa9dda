using System.Globalization;
using NodaTime;
using NodaTime.Text;

namespace Crm.Abstractions;

/// <summary>How a <see cref="BusinessDuration"/> is counted.</summary>
public enum BusinessDurationKind
{
    /// <summary>Whole working days (counted by the kernel's business calendar).</summary>
    WorkingDays = 0,

    /// <summary>Elapsed time counted only within working hours (counted by the kernel's business calendar).</summary>
    WorkingTime = 1,

    /// <summary>Plain elapsed time, nights and weekends included.</summary>
    Calendar = 2,
}

/// <summary>
/// A due period in business time: N working days, an amount of working time, or a calendar duration.
/// Text form (used in JSON templates): <c>"5 working days"</c> (or <c>"1 working day"</c>), <c>"PT4H working"</c>
/// (an ISO-8601 duration of working time) and <c>"PT48H"</c> / <c>"P2D"</c> (calendar time; a day is 24 hours).
/// A duration is bounded: at most <see cref="MaxWorkingDays"/> working days, or <see cref="MaxTime"/> of working or
/// calendar time (ten years), so a deadline computed from it stays within the calendar.
/// </summary>
public readonly record struct BusinessDuration
{
    /// <summary>The largest number of working days a duration may hold: 3,660 (about fourteen years of five-day weeks).</summary>
    public const int MaxWorkingDays = 3660;

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

    /// <summary>The largest working or calendar time a duration may hold: 3,660 days (ten years).</summary>
    public static Duration MaxTime { get; } = Duration.FromDays(3660);

    /// <summary>N working days.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="days"/> is negative or above <see cref="MaxWorkingDays"/>.</exception>
    public static BusinessDuration WorkingDays(int days)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(days);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(days, MaxWorkingDays);
        return new BusinessDuration(BusinessDurationKind.WorkingDays, days, Duration.Zero);
    }

    /// <summary>N hours counted within working hours only.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="hours"/> is negative or above <see cref="MaxTime"/>.</exception>
    public static BusinessDuration WorkingHours(int hours)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(hours);
        return WorkingTime(Duration.FromHours(hours));
    }

    /// <summary>An amount of time counted within working hours only.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="time"/> is negative or above <see cref="MaxTime"/>.</exception>
    public static BusinessDuration WorkingTime(Duration time)
    {
        CheckTime(time);

        return new BusinessDuration(BusinessDurationKind.WorkingTime, 0, time);
    }

    /// <summary>Plain elapsed time, nights and weekends included.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="time"/> is negative or above <see cref="MaxTime"/>.</exception>
    public static BusinessDuration Calendar(Duration time)
    {
        CheckTime(time);

        return new BusinessDuration(BusinessDurationKind.Calendar, 0, time);
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
    /// <exception cref="FormatException">The text is not a business duration, or one above the bounds; the message shows the accepted forms or the bound.</exception>
    public static BusinessDuration Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParse(text, out var result, out var problem) ? result : throw new FormatException(problem);
    }

    /// <summary>Parses the text form written by <see cref="ToString"/>; false when it is not one.</summary>
    /// <remarks>A duration above the bounds (<see cref="MaxWorkingDays"/>, <see cref="MaxTime"/>) is not one.</remarks>
    public static bool TryParse(string? text, out BusinessDuration result) => TryParse(text, out result, out _);

    /// <summary>Parses the text form; on failure <paramref name="problem"/> says what is wrong (the form, or the bound).</summary>
    internal static bool TryParse(string? text, out BusinessDuration result, out string? problem)
    {
        result = default;
        problem = $"'{text}' is not a business duration; use e.g. \"5 working days\", \"PT4H working\" or \"PT48H\".";
        if (string.IsNullOrWhiteSpace(text) || text.Length > 100)
        {
            return false;
        }

        var parts = text.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 3 && parts[1] == "working" && (parts[2] == "days" || parts[2] == "day") && parts[0].All(char.IsAsciiDigit))
        {
            if (!long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var days) || days > MaxWorkingDays)
            {
                problem = $"'{text}' is more than the maximum of {MaxWorkingDays.ToString(CultureInfo.InvariantCulture)} working days.";
                return false;
            }

            result = WorkingDays((int)days);
            problem = null;
            return true;
        }

        var iso = parts.Length == 2 && parts[1] == "working" ? parts[0] : parts.Length == 1 ? parts[0] : null;
        if (iso is null)
        {
            return false;
        }

        var parsed = TryParseIso(iso, out var time);
        if (parsed is null)
        {
            return false;
        }

        if (parsed == false)
        {
            problem = $"'{text}' is more than the maximum of {FormatIso(MaxTime)} ({MaxTime.Days.ToString(CultureInfo.InvariantCulture)} days).";
            return false;
        }

        result = parts.Length == 2 ? WorkingTime(time) : Calendar(time);
        problem = null;
        return true;
    }

    private static void CheckTime(Duration time)
    {
        if (time < Duration.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(time), time, "A business duration must not be negative.");
        }

        if (time > MaxTime)
        {
            throw new ArgumentOutOfRangeException(nameof(time), time, $"A business duration must not exceed {MaxTime.Days.ToString(CultureInfo.InvariantCulture)} days.");
        }
    }

    private static string FormatIso(Duration time) =>
        PeriodPattern.NormalizingIso.Format(Period.FromNanoseconds(time.ToInt64Nanoseconds()).Normalize());

    /// <summary>True: parsed within bounds; false: a valid form above <see cref="MaxTime"/>; null: not a duration.</summary>
    private static bool? TryParseIso(string text, out Duration duration)
    {
        duration = Duration.Zero;
        var parsed = PeriodPattern.NormalizingIso.Parse(text);
        if (!parsed.Success || parsed.Value.Years != 0 || parsed.Value.Months != 0)
        {
            return null;
        }

        try
        {
            // Each unit is bounded before the sum so no component can overflow Duration's range.
            var p = parsed.Value;
            if (Math.Abs((double)p.Weeks) * 7 > MaxTime.Days || Math.Abs((double)p.Days) > MaxTime.Days || Math.Abs((double)p.Hours) > MaxTime.TotalHours
                || Math.Abs((double)p.Minutes) > MaxTime.TotalMinutes || Math.Abs((double)p.Seconds) > MaxTime.TotalSeconds
                || Math.Abs((double)p.Milliseconds) > MaxTime.TotalMilliseconds || Math.Abs((double)p.Ticks) > MaxTime.BclCompatibleTicks
                || Math.Abs((double)p.Nanoseconds) > MaxTime.TotalNanoseconds)
            {
                return false;
            }

            duration = p.ToDuration();
        }
        catch (Exception e) when (e is OverflowException or ArgumentOutOfRangeException)
        {
            return false;
        }

        if (duration < Duration.Zero)
        {
            return null;
        }

        return duration <= MaxTime;
    }
}
