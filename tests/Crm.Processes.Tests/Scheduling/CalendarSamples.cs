using Crm.Kernel.Scheduling;
using NodaTime;

namespace Crm.Processes.Tests.Scheduling;

/// <summary>Calendars and inputs for the calendar properties, derived from plain integers that FsCheck generates.</summary>
internal static class CalendarSamples
{
    public static readonly string[] ZoneIds = ["Europe/Oslo", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "Australia/Lord_Howe"];

    private static readonly Instant RangeStart = Instant.FromUtc(2020, 1, 1, 0, 0);
    private const int RangeMinutes = 10 * 366 * 24 * 60;

    // Fixed and DST-adjacent holidays, so the properties also cross holidays next to transitions.
    private static readonly LocalDate[] Holidays = Enumerable.Range(2020, 11)
        .SelectMany(y => new[] { new LocalDate(y, 1, 1), new LocalDate(y, 5, 17), new LocalDate(y, 12, 24), new LocalDate(y, 12, 25), new LocalDate(y, 12, 26), new LocalDate(y, 3, 30), new LocalDate(y, 10, 26), new LocalDate(y, 4, 6) })
        .ToArray();

    public static BusinessCalendar Calendar(int zoneSeed, int hoursSeed)
    {
        var zone = DateTimeZoneProviders.Tzdb[ZoneIds[Math.Abs(zoneSeed % ZoneIds.Length)]];
        // Office hours, and night hours that contain the DST gap/overlap of most zones.
        var (start, end) = Math.Abs(hoursSeed % 3) switch
        {
            0 => (new LocalTime(9, 0), new LocalTime(18, 0)),
            1 => (new LocalTime(1, 30), new LocalTime(3, 30)),
            _ => (new LocalTime(8, 0), new LocalTime(12, 0)),
        };
        var days = Math.Abs(hoursSeed % 2) == 0
            ? new[] { IsoDayOfWeek.Monday, IsoDayOfWeek.Tuesday, IsoDayOfWeek.Wednesday, IsoDayOfWeek.Thursday, IsoDayOfWeek.Friday }
            : new[] { IsoDayOfWeek.Sunday, IsoDayOfWeek.Monday, IsoDayOfWeek.Tuesday, IsoDayOfWeek.Wednesday, IsoDayOfWeek.Thursday };
        return new BusinessCalendar(zone, days, start, end, Holidays);
    }

    public static Instant InstantFrom(int seed) => RangeStart + Duration.FromMinutes(Math.Abs((long)seed * 7919 % RangeMinutes));
}
