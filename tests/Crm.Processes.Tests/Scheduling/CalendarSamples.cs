using Crm.Kernel.Scheduling;
using FsCheck;
using FsCheck.Fluent;
using NodaTime;

namespace Crm.Processes.Tests.Scheduling;

/// <summary>Calendars and inputs for the calendar properties, derived from plain integers that FsCheck generates.</summary>
internal static class CalendarSamples
{
    public static readonly string[] ZoneIds = ["Europe/Oslo", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "Australia/Lord_Howe"];

    public static readonly Instant RangeStart = Instant.FromUtc(2020, 1, 1, 0, 0);
    public const int RangeMinutes = 10 * 366 * 24 * 60;

    // Fixed and DST-adjacent holidays, so the properties also cross holidays next to transitions.
    private static readonly LocalDate[] Holidays = Enumerable.Range(2020, 11)
        .SelectMany(y => new[] { new LocalDate(y, 1, 1), new LocalDate(y, 5, 17), new LocalDate(y, 12, 24), new LocalDate(y, 12, 25), new LocalDate(y, 12, 26), new LocalDate(y, 3, 30), new LocalDate(y, 10, 26), new LocalDate(y, 4, 6) })
        .ToArray();

    /// <summary>Every offset change (DST start or end) of each zone within the range, by zone index.</summary>
    public static readonly Instant[][] Transitions = ZoneIds
        .Select(id => DateTimeZoneProviders.Tzdb[id]
            .GetZoneIntervals(RangeStart, RangeStart + Duration.FromMinutes(RangeMinutes))
            .Skip(1)
            .Select(i => i.Start)
            .ToArray())
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

    /// <summary>Calendar for a generated case: its zone and one of the six hour/day variants.</summary>
    public static BusinessCalendar Calendar(CalendarCase c) => Calendar(c.Zone, c.Hours);
}

/// <summary>
/// One generated calendar input: a zone (index into <see cref="CalendarSamples.ZoneIds"/>), an hours/days variant
/// (0..5), an instant and a wall-clock time. Half the instants lie within two days of one of the zone's DST
/// transitions between 2020 and 2030 (so the night hours 01:30–03:30 and the Sunday working days meet gaps and
/// overlaps), the rest anywhere in those ten years; a third of the wall times fall between 01:00 and 04:00.
/// </summary>
public sealed record CalendarCase(int Zone, int Hours, Instant At, LocalTime Time)
{
    public override string ToString() => $"{CalendarSamples.ZoneIds[Zone]} hours#{Hours} at {At} time {Time}";
}

/// <summary>The FsCheck arbitraries of the calendar properties (<c>[Property(Arbitrary = [typeof(CalendarArbitraries)])]</c>).</summary>
public static class CalendarArbitraries
{
    private static readonly Gen<Instant> Anywhere =
        Gen.Choose(0, CalendarSamples.RangeMinutes).Select(m => CalendarSamples.RangeStart + Duration.FromMinutes(m));

    private static Gen<Instant> NearTransition(int zone) =>
        CalendarSamples.Transitions[zone].Length == 0
            ? Anywhere
            : from transition in Gen.Elements(CalendarSamples.Transitions[zone])
              from minutes in Gen.Choose(-48 * 60, 48 * 60)
              select transition + Duration.FromMinutes(minutes);

    private static readonly Gen<LocalTime> WallTime = Gen.Frequency(
        (2, Gen.Choose(0, 24 * 60 - 1).Select(m => LocalTime.Midnight.PlusMinutes(m))),
        (1, Gen.Choose(60, 4 * 60 - 1).Select(m => LocalTime.Midnight.PlusMinutes(m))));

    /// <summary>The generator behind <see cref="Case"/>.</summary>
    public static readonly Gen<CalendarCase> Cases =
        from zone in Gen.Choose(0, CalendarSamples.ZoneIds.Length - 1)
        from hours in Gen.Choose(0, 5)
        from at in Gen.Frequency((1, Anywhere), (1, NearTransition(zone)))
        from time in WallTime
        select new CalendarCase(zone, hours, at, time);

    /// <summary>Calendar cases; shrinking moves toward the first zone, the office-hours variant and midnight.</summary>
    public static Arbitrary<CalendarCase> Case() => Arb.From(Cases, Shrink);

    private static IEnumerable<CalendarCase> Shrink(CalendarCase c)
    {
        if (c.Zone > 0)
        {
            yield return c with { Zone = 0 };
        }

        if (c.Hours > 0)
        {
            yield return c with { Hours = 0 };
        }

        if (c.Time != LocalTime.Midnight)
        {
            yield return c with { Time = LocalTime.Midnight };
        }
    }
}
