using Crm.Abstractions;
using NodaTime;

namespace Crm.Kernel.Scheduling;

/// <summary>
/// Business-time arithmetic (<see cref="BusinessCalendar"/>, <see cref="BusinessDuration"/>) would give a date or an
/// instant outside the range the calendar can represent (NodaTime's years -9998 to 9999). Nothing was changed.
/// </summary>
public sealed class BusinessTimeOutOfRangeException : CrmException
{
    /// <summary>Creates the exception for a computation from <paramref name="from"/>.</summary>
    /// <param name="from">Where the computation started.</param>
    /// <param name="what">What was to be added or subtracted, e.g. <c>2147483647 working days</c>.</param>
    /// <param name="innerException">The arithmetic error, when one was caught.</param>
    public BusinessTimeOutOfRangeException(string from, string what, Exception? innerException = null)
        : base($"{what} from {from} lies outside the dates a calendar can represent (up to {Instant.MaxValue}); use a shorter period (at most {BusinessDuration.MaxWorkingDays} working days or {BusinessDuration.MaxTime.Days} days).", innerException)
    {
        From = from;
        What = what;
    }

    /// <summary>Where the computation started.</summary>
    public string From { get; }

    /// <summary>What was to be added or subtracted.</summary>
    public string What { get; }
}
