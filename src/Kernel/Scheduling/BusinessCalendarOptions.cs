using NodaTime;

namespace Crm.Kernel.Scheduling;

/// <summary>
/// What a <see cref="BusinessCalendar"/> is built from: a time zone, the working days of the week, the working hours
/// and the holidays. One instance per tenant; a user in another zone gets <see cref="BusinessCalendar.WithTimeZone"/>.
/// </summary>
public sealed class BusinessCalendarOptions
{
    /// <summary>The zone in which working days and hours are read.</summary>
    /// <value>Defaults to UTC.</value>
    public DateTimeZone TimeZone { get; set; } = DateTimeZone.Utc;

    /// <summary>The days of the week that are working days (unless a holiday).</summary>
    /// <value>Defaults to Monday to Friday.</value>
    public ISet<IsoDayOfWeek> WorkingDays { get; set; } = new HashSet<IsoDayOfWeek>
    {
        IsoDayOfWeek.Monday, IsoDayOfWeek.Tuesday, IsoDayOfWeek.Wednesday, IsoDayOfWeek.Thursday, IsoDayOfWeek.Friday,
    };

    /// <summary>Local time at which a working day starts (inclusive).</summary>
    /// <value>Defaults to 09:00.</value>
    public LocalTime WorkingHoursStart { get; set; } = new(9, 0);

    /// <summary>Local time at which a working day ends (exclusive); must be after <see cref="WorkingHoursStart"/>.</summary>
    /// <value>Defaults to 18:00.</value>
    public LocalTime WorkingHoursEnd { get; set; } = new(18, 0);

    /// <summary>Dates that are not working days even if their day of week is.</summary>
    /// <value>Defaults to none.</value>
    public ISet<LocalDate> Holidays { get; set; } = new HashSet<LocalDate>();
}
