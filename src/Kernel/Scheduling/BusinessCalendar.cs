using Crm.Abstractions;
using NodaTime;
using NodaTime.TimeZones;

namespace Crm.Kernel.Scheduling;

/// <summary>
/// Working days, working hours and holidays in one time zone: the arithmetic behind "due in 5 working days" and
/// "remind at 09:00 local time the next working day". Immutable and thread-safe.
/// </summary>
/// <remarks>
/// <para>
/// Local date-times are mapped to instants with NodaTime's <see cref="Resolvers.LenientResolver"/>: a local time that
/// falls into a DST gap (e.g. 02:30 on the spring-forward night in Europe/Oslo) is shifted forward by the length of the
/// gap (to 03:30); a local time that occurs twice (autumn fall-back) resolves to its earlier occurrence.
/// </para>
/// <para>Working hours are the half-open interval [<see cref="WorkingHoursStart"/>, <see cref="WorkingHoursEnd"/>) of each working day.</para>
/// </remarks>
public sealed class BusinessCalendar
{
    private readonly bool[] _workingDayOfWeek = new bool[8]; // indexed by IsoDayOfWeek (1..7)
    private readonly HashSet<LocalDate> _holidays;

    /// <summary>Creates a calendar from options.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> or one of its collections is null.</exception>
    /// <exception cref="CrmValidationException">No working day, or working hours that do not start before they end.</exception>
    public BusinessCalendar(BusinessCalendarOptions options)
        : this(
            (options ?? throw new ArgumentNullException(nameof(options))).TimeZone,
            options.WorkingDays,
            options.WorkingHoursStart,
            options.WorkingHoursEnd,
            options.Holidays)
    {
    }

    /// <summary>Creates a calendar.</summary>
    /// <param name="timeZone">The zone in which days and hours are read.</param>
    /// <param name="workingDays">Working days of the week (at least one).</param>
    /// <param name="workingHoursStart">Start of the working day (inclusive).</param>
    /// <param name="workingHoursEnd">End of the working day (exclusive), after <paramref name="workingHoursStart"/>.</param>
    /// <param name="holidays">Dates that are never working days.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="CrmValidationException">No working day, or working hours that do not start before they end.</exception>
    public BusinessCalendar(
        DateTimeZone timeZone,
        IEnumerable<IsoDayOfWeek> workingDays,
        LocalTime workingHoursStart,
        LocalTime workingHoursEnd,
        IEnumerable<LocalDate> holidays)
    {
        ArgumentNullException.ThrowIfNull(timeZone);
        ArgumentNullException.ThrowIfNull(workingDays);
        ArgumentNullException.ThrowIfNull(holidays);
        var errors = new List<ValidationError>();
        var days = new SortedSet<IsoDayOfWeek>();
        foreach (var day in workingDays)
        {
            if (day is < IsoDayOfWeek.Monday or > IsoDayOfWeek.Sunday)
            {
                errors.Add(new ValidationError("workingDays", $"'{day}' is not a day of the week."));
                continue;
            }

            days.Add(day);
            _workingDayOfWeek[(int)day] = true;
        }

        if (days.Count == 0)
        {
            errors.Add(new ValidationError("workingDays", "at least one day of the week must be a working day."));
        }

        if (workingHoursStart >= workingHoursEnd)
        {
            errors.Add(new ValidationError("workingHours", $"working hours must start before they end (got {workingHoursStart:HH:mm}-{workingHoursEnd:HH:mm}); overnight shifts are not supported."));
        }

        if (errors.Count > 0)
        {
            throw new CrmValidationException(errors);
        }

        TimeZone = timeZone;
        WorkingDays = [.. days];
        WorkingHoursStart = workingHoursStart;
        WorkingHoursEnd = workingHoursEnd;
        _holidays = [.. holidays];
    }

    private BusinessCalendar(BusinessCalendar source, DateTimeZone zone)
    {
        _workingDayOfWeek = source._workingDayOfWeek;
        _holidays = source._holidays;
        WorkingDays = source.WorkingDays;
        WorkingHoursStart = source.WorkingHoursStart;
        WorkingHoursEnd = source.WorkingHoursEnd;
        TimeZone = zone;
    }

    /// <summary>The zone in which days and hours are read.</summary>
    public DateTimeZone TimeZone { get; }

    /// <summary>The working days of the week, Monday first.</summary>
    public IReadOnlyList<IsoDayOfWeek> WorkingDays { get; }

    /// <summary>Start of each working day (inclusive).</summary>
    public LocalTime WorkingHoursStart { get; }

    /// <summary>End of each working day (exclusive).</summary>
    public LocalTime WorkingHoursEnd { get; }

    /// <summary>The holidays.</summary>
    public IReadOnlyCollection<LocalDate> Holidays => _holidays;

    /// <summary>
    /// The same working days, hours and holidays read in another zone, e.g. the user's own zone when a reminder must
    /// ring at 09:00 where the user is.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="timeZone"/> is null.</exception>
    public BusinessCalendar WithTimeZone(DateTimeZone timeZone)
    {
        ArgumentNullException.ThrowIfNull(timeZone);
        return new BusinessCalendar(this, timeZone);
    }

    /// <summary>Whether <paramref name="date"/> is a working day: its day of week works and it is not a holiday.</summary>
    public bool IsWorkingDay(LocalDate date) => _workingDayOfWeek[(int)date.DayOfWeek] && !_holidays.Contains(date);

    /// <summary>
    /// The date <paramref name="workingDays"/> working days after <paramref name="date"/>; <paramref name="date"/> itself
    /// is not counted. For 0, <paramref name="date"/> itself if it is a working day, else the next working day.
    /// The result is always a working day.
    /// </summary>
    /// <example><c>AddWorkingDays(Friday, 1)</c> is the next Monday (when Monday is not a holiday).</example>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="workingDays"/> is negative.</exception>
    /// <exception cref="BusinessTimeOutOfRangeException">The result would lie after the last date the calendar can represent.</exception>
    public LocalDate AddWorkingDays(LocalDate date, int workingDays)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(workingDays);
        // Working days are never more than calendar days: beyond the last date the answer cannot exist.
        if (workingDays > Period.DaysBetween(date, MaxDate))
        {
            throw new BusinessTimeOutOfRangeException(Iso(date), Days(workingDays));
        }

        try
        {
            if (workingDays == 0)
            {
                return IsWorkingDay(date) ? date : NextWorkingDayAfter(date);
            }

            var current = date;
            for (var counted = 0; counted < workingDays;)
            {
                current = current.PlusDays(1);
                if (IsWorkingDay(current))
                {
                    counted++;
                }
            }

            return current;
        }
        catch (Exception e) when (e is OverflowException or ArgumentOutOfRangeException)
        {
            throw new BusinessTimeOutOfRangeException(Iso(date), Days(workingDays), e);
        }
    }

    /// <summary>
    /// The number of working days in (<paramref name="fromExclusive"/>, <paramref name="toInclusive"/>]; 0 when
    /// <paramref name="toInclusive"/> is not after <paramref name="fromExclusive"/>.
    /// </summary>
    public int CountWorkingDays(LocalDate fromExclusive, LocalDate toInclusive)
    {
        var count = 0;
        // Stepping from the start and stopping at the end never steps past the last representable date.
        for (var d = fromExclusive; d < toInclusive;)
        {
            d = d.PlusDays(1);
            if (IsWorkingDay(d))
            {
                count++;
            }
        }

        return count;
    }

    /// <summary>
    /// The instant <paramref name="workingDays"/> working days after <paramref name="from"/> (counted as in
    /// <see cref="AddWorkingDays(LocalDate, int)"/> on the local date), at the same local time clamped into
    /// [<see cref="WorkingHoursStart"/>, <see cref="WorkingHoursEnd"/>]: before the start gives the start, after the end
    /// gives the end. For 0, the result is <see cref="ClampToWorkingHours"/> of <paramref name="from"/>.
    /// </summary>
    /// <example>Due in 5 working days from Friday 14:00 is the next Friday 14:00 (no holidays), whatever DST did in between.</example>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="workingDays"/> is negative.</exception>
    /// <exception cref="BusinessTimeOutOfRangeException">The result would lie after the last instant the calendar can represent.</exception>
    public Instant AddWorkingDays(Instant from, int workingDays)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(workingDays);
        if (workingDays == 0)
        {
            return ClampToWorkingHours(from);
        }

        try
        {
            var local = from.InZone(TimeZone).LocalDateTime;
            var date = AddWorkingDays(local.Date, workingDays);
            var time = local.TimeOfDay;
            if (time < WorkingHoursStart)
            {
                time = WorkingHoursStart;
            }
            else if (time > WorkingHoursEnd)
            {
                time = WorkingHoursEnd;
            }

            return Resolve(date, time);
        }
        catch (Exception e) when (e is OverflowException or ArgumentOutOfRangeException)
        {
            throw new BusinessTimeOutOfRangeException(from.ToString(), Days(workingDays), e);
        }
    }

    /// <summary>
    /// Counts <paramref name="workingTime"/> of working hours forward from <paramref name="from"/>, skipping nights,
    /// non-working days and holidays. Elapsed time is real time: a working day shortened by DST counts one hour less.
    /// A zero duration gives <see cref="ClampToWorkingHours"/> of <paramref name="from"/>.
    /// </summary>
    /// <example>4 working hours from Friday 16:00 (09:00-18:00) is Monday 11:00.</example>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="workingTime"/> is negative.</exception>
    /// <exception cref="BusinessTimeOutOfRangeException">The result would lie after the last instant the calendar can represent.</exception>
    public Instant AddWorkingTime(Instant from, Duration workingTime)
    {
        if (workingTime < Duration.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(workingTime), workingTime, "Working time must not be negative.");
        }

        // Working time is never more than elapsed time: beyond the last instant the answer cannot exist.
        if (workingTime > Instant.MaxValue - from)
        {
            throw new BusinessTimeOutOfRangeException(from.ToString(), workingTime + " of working time");
        }

        try
        {
            var current = ClampToWorkingHours(from);
            var remaining = workingTime;
            while (true)
            {
                var date = current.InZone(TimeZone).Date;
                var available = Resolve(date, WorkingHoursEnd) - current;
                if (remaining <= available)
                {
                    return Checked(current, remaining);
                }

                if (available > Duration.Zero)
                {
                    remaining -= available;
                }

                current = Resolve(NextWorkingDayAfter(date), WorkingHoursStart);
            }
        }
        catch (Exception e) when (e is OverflowException or ArgumentOutOfRangeException)
        {
            throw new BusinessTimeOutOfRangeException(from.ToString(), workingTime + " of working time", e);
        }
    }

    /// <summary>
    /// Counts <paramref name="workingTime"/> of working hours backward from <paramref name="to"/> (the mirror of
    /// <see cref="AddWorkingTime"/>), e.g. to place a reminder two working hours before a deadline.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="workingTime"/> is negative.</exception>
    /// <exception cref="BusinessTimeOutOfRangeException">The result would lie before the first instant the calendar can represent.</exception>
    public Instant SubtractWorkingTime(Instant to, Duration workingTime)
    {
        if (workingTime < Duration.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(workingTime), workingTime, "Working time must not be negative.");
        }

        if (workingTime > to - Instant.MinValue)
        {
            throw new BusinessTimeOutOfRangeException(to.ToString(), "minus " + workingTime + " of working time");
        }

        try
        {
            var current = ClampBackToWorkingHours(to);
            var remaining = workingTime;
            while (true)
            {
                var date = current.InZone(TimeZone).Date;
                var available = current - Resolve(date, WorkingHoursStart);
                if (remaining <= available)
                {
                    return Checked(current, -remaining);
                }

                if (available > Duration.Zero)
                {
                    remaining -= available;
                }

                current = Resolve(PreviousWorkingDayBefore(date), WorkingHoursEnd);
            }
        }
        catch (Exception e) when (e is OverflowException or ArgumentOutOfRangeException)
        {
            throw new BusinessTimeOutOfRangeException(to.ToString(), "minus " + workingTime + " of working time", e);
        }
    }

    /// <summary>
    /// The instant <paramref name="workingDays"/> working days before <paramref name="to"/>, at the same local time clamped
    /// into working hours (the mirror of <see cref="AddWorkingDays(Instant, int)"/>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="workingDays"/> is negative.</exception>
    /// <exception cref="BusinessTimeOutOfRangeException">The result would lie before the first instant the calendar can represent.</exception>
    public Instant SubtractWorkingDays(Instant to, int workingDays)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(workingDays);
        try
        {
            var local = to.InZone(TimeZone).LocalDateTime;
            var date = local.Date;
            if (workingDays > Period.DaysBetween(MinDate, date))
            {
                throw new BusinessTimeOutOfRangeException(to.ToString(), "minus " + Days(workingDays));
            }

            for (var counted = 0; counted < workingDays;)
            {
                date = date.PlusDays(-1);
                if (IsWorkingDay(date))
                {
                    counted++;
                }
            }

            var time = local.TimeOfDay < WorkingHoursStart ? WorkingHoursStart
                : local.TimeOfDay > WorkingHoursEnd ? WorkingHoursEnd
                : local.TimeOfDay;
            return Resolve(date, time);
        }
        catch (Exception e) when (e is OverflowException or ArgumentOutOfRangeException)
        {
            throw new BusinessTimeOutOfRangeException(to.ToString(), "minus " + Days(workingDays), e);
        }
    }

    /// <summary>
    /// The first working day strictly after the local date of <paramref name="from"/>, at <paramref name="at"/> local time.
    /// If <paramref name="at"/> does not exist that day (DST gap) it is shifted forward by the gap, e.g. 02:30 becomes 03:30;
    /// if it occurs twice, the earlier occurrence is used.
    /// </summary>
    /// <example>"Remind at 09:00 the next working day" from Friday 17:00 is Monday 09:00 local time.</example>
    /// <exception cref="BusinessTimeOutOfRangeException">No working day follows within the dates the calendar can represent.</exception>
    public Instant NextWorkingDayAt(Instant from, LocalTime at)
    {
        try
        {
            var date = from.InZone(TimeZone).Date;
            return Resolve(NextWorkingDayAfter(date), at);
        }
        catch (Exception e) when (e is OverflowException or ArgumentOutOfRangeException)
        {
            throw new BusinessTimeOutOfRangeException(from.ToString(), "the next working day", e);
        }
    }

    /// <summary>
    /// <paramref name="instant"/> itself when it is within working hours of a working day, otherwise the start of the next
    /// working period.
    /// </summary>
    /// <exception cref="BusinessTimeOutOfRangeException">No working period follows within the dates the calendar can represent.</exception>
    public Instant ClampToWorkingHours(Instant instant)
    {
        try
        {
            return ClampForward(instant);
        }
        catch (Exception e) when (e is OverflowException or ArgumentOutOfRangeException)
        {
            throw new BusinessTimeOutOfRangeException(instant.ToString(), "the next working period", e);
        }
    }

    private Instant ClampForward(Instant instant)
    {
        var date = instant.InZone(TimeZone).Date;
        if (IsWorkingDay(date))
        {
            var start = Resolve(date, WorkingHoursStart);
            if (instant < start)
            {
                return start;
            }

            if (instant < Resolve(date, WorkingHoursEnd))
            {
                return instant;
            }
        }

        return Resolve(NextWorkingDayAfter(date), WorkingHoursStart);
    }

    /// <summary>Whether <paramref name="instant"/> lies within the working hours of a working day.</summary>
    public bool IsWithinWorkingHours(Instant instant) => ClampToWorkingHours(instant) == instant;

    private Instant ClampBackToWorkingHours(Instant instant)
    {
        var date = instant.InZone(TimeZone).Date;
        if (IsWorkingDay(date))
        {
            var end = Resolve(date, WorkingHoursEnd);
            if (instant > end)
            {
                return end;
            }

            if (instant >= Resolve(date, WorkingHoursStart))
            {
                return instant;
            }
        }

        return Resolve(PreviousWorkingDayBefore(date), WorkingHoursEnd);
    }

    private LocalDate NextWorkingDayAfter(LocalDate date)
    {
        var current = date.PlusDays(1);
        while (!IsWorkingDay(current))
        {
            current = current.PlusDays(1);
        }

        return current;
    }

    private LocalDate PreviousWorkingDayBefore(LocalDate date)
    {
        var current = date.PlusDays(-1);
        while (!IsWorkingDay(current))
        {
            current = current.PlusDays(-1);
        }

        return current;
    }

    private Instant Resolve(LocalDate date, LocalTime time) =>
        TimeZone.ResolveLocal(date + time, Resolvers.LenientResolver).ToInstant();

    /// <summary><paramref name="start"/> plus <paramref name="delta"/>, or a typed error when that leaves NodaTime's range.</summary>
    internal static Instant Checked(Instant start, Duration delta)
    {
        if (delta > Duration.Zero ? delta > Instant.MaxValue - start : delta < Instant.MinValue - start)
        {
            throw new BusinessTimeOutOfRangeException(start.ToString(), delta.ToString());
        }

        return start + delta;
    }

    // A day of margin inside NodaTime's range, so resolving a local time in any zone stays valid.
    private static readonly LocalDate MaxDate = Instant.MaxValue.InUtc().Date.PlusDays(-2);
    private static readonly LocalDate MinDate = Instant.MinValue.InUtc().Date.PlusDays(2);

    private static string Iso(LocalDate date) => date.ToString("uuuu-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    private static string Days(int days) => days.ToString(System.Globalization.CultureInfo.InvariantCulture) + " working days";
}
