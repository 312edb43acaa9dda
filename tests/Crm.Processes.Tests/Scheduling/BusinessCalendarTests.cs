using Crm.Abstractions;
using Crm.Kernel.Scheduling;
using NodaTime;

namespace Crm.Processes.Tests.Scheduling;

public sealed class BusinessCalendarTests
{
    private static readonly DateTimeZone Oslo = DateTimeZoneProviders.Tzdb["Europe/Oslo"];

    private static readonly LocalDate Ascension2026 = new(2026, 5, 14); // Thursday, a public holiday in Norway

    private static BusinessCalendar OsloOffice(params IsoDayOfWeek[] days) => new(new BusinessCalendarOptions
    {
        TimeZone = Oslo,
        WorkingDays = days.Length == 0
            ? new HashSet<IsoDayOfWeek> { IsoDayOfWeek.Monday, IsoDayOfWeek.Tuesday, IsoDayOfWeek.Wednesday, IsoDayOfWeek.Thursday, IsoDayOfWeek.Friday }
            : days.ToHashSet(),
        Holidays = new HashSet<LocalDate> { Ascension2026 },
    });

    private static Instant OsloTime(int y, int m, int d, int h, int min) =>
        Oslo.AtStrictly(new LocalDateTime(y, m, d, h, min)).ToInstant();

    [Fact]
    public void AddWorkingDays_skips_the_weekend()
    {
        var calendar = OsloOffice();
        Assert.Equal(new LocalDate(2026, 3, 9), calendar.AddWorkingDays(new LocalDate(2026, 3, 6), 1)); // Fri -> Mon
        Assert.Equal(new LocalDate(2026, 3, 13), calendar.AddWorkingDays(new LocalDate(2026, 3, 6), 5));
        Assert.Equal(new LocalDate(2026, 3, 9), calendar.AddWorkingDays(new LocalDate(2026, 3, 7), 0)); // Sat -> next working day
    }

    [Fact]
    public void AddWorkingDays_skips_a_holiday()
    {
        var calendar = OsloOffice();
        Assert.False(calendar.IsWorkingDay(Ascension2026));
        Assert.Equal(new LocalDate(2026, 5, 15), calendar.AddWorkingDays(new LocalDate(2026, 5, 13), 1));
        Assert.Equal(OsloTime(2026, 5, 18, 10, 0), calendar.AddWorkingDays(OsloTime(2026, 5, 13, 10, 0), 2));
    }

    [Fact]
    public void Due_in_1_working_day_across_the_spring_DST_change_keeps_the_local_time()
    {
        var calendar = OsloOffice();
        var friday = OsloTime(2026, 3, 27, 10, 0); // +01:00
        var monday = calendar.AddWorkingDays(friday, 1); // +02:00 after 29 March
        Assert.Equal(new LocalDateTime(2026, 3, 30, 10, 0), monday.InZone(Oslo).LocalDateTime);
        Assert.Equal(Duration.FromHours(71), monday - friday);
    }

    [Fact]
    public void Due_in_1_working_day_across_the_autumn_DST_change_keeps_the_local_time()
    {
        var calendar = OsloOffice();
        var friday = OsloTime(2026, 10, 23, 10, 0);
        var monday = calendar.AddWorkingDays(friday, 1);
        Assert.Equal(new LocalDateTime(2026, 10, 26, 10, 0), monday.InZone(Oslo).LocalDateTime);
        Assert.Equal(Duration.FromHours(73), monday - friday);
    }

    [Fact]
    public void NextWorkingDayAt_in_the_spring_gap_is_shifted_forward_by_the_gap()
    {
        var calendar = OsloOffice(IsoDayOfWeek.Saturday, IsoDayOfWeek.Sunday);
        var result = calendar.NextWorkingDayAt(OsloTime(2026, 3, 28, 12, 0), new LocalTime(2, 30));
        Assert.Equal(new LocalDateTime(2026, 3, 29, 3, 30), result.InZone(Oslo).LocalDateTime);
    }

    [Fact]
    public void NextWorkingDayAt_in_the_autumn_overlap_takes_the_earlier_occurrence()
    {
        var calendar = OsloOffice(IsoDayOfWeek.Saturday, IsoDayOfWeek.Sunday);
        var result = calendar.NextWorkingDayAt(OsloTime(2026, 10, 24, 12, 0), new LocalTime(2, 30));
        Assert.Equal(Instant.FromUtc(2026, 10, 25, 0, 30), result); // 02:30 +02:00
    }

    [Fact]
    public void Remind_at_9_the_next_working_day_from_Friday_evening_is_Monday_9()
    {
        var calendar = OsloOffice();
        Assert.Equal(OsloTime(2026, 3, 30, 9, 0), calendar.NextWorkingDayAt(OsloTime(2026, 3, 27, 17, 0), new LocalTime(9, 0)));
    }

    [Fact]
    public void AddWorkingTime_counts_only_working_hours_across_a_weekend()
    {
        var calendar = OsloOffice();
        Assert.Equal(OsloTime(2026, 3, 9, 11, 0), calendar.AddWorkingTime(OsloTime(2026, 3, 6, 16, 0), Duration.FromHours(4)));
        Assert.Equal(OsloTime(2026, 3, 9, 9, 0), calendar.AddWorkingTime(OsloTime(2026, 3, 7, 10, 0), Duration.Zero));
    }

    [Fact]
    public void AddWorkingTime_with_night_hours_spanning_the_spring_gap_counts_real_time()
    {
        // Working 01:00-04:00 local: on 29 March 2026 02:00-03:00 does not exist, so that night has 2 working hours.
        var calendar = new BusinessCalendar(Oslo, [IsoDayOfWeek.Sunday, IsoDayOfWeek.Monday], new LocalTime(1, 0), new LocalTime(4, 0), []);
        var start = OsloTime(2026, 3, 29, 1, 0);
        Assert.Equal(OsloTime(2026, 3, 30, 2, 0), calendar.AddWorkingTime(start, Duration.FromHours(3)));
    }

    [Fact]
    public void ClampToWorkingHours_moves_evening_to_next_working_morning()
    {
        var calendar = OsloOffice();
        Assert.Equal(OsloTime(2026, 3, 9, 9, 0), calendar.ClampToWorkingHours(OsloTime(2026, 3, 6, 18, 0)));
        Assert.Equal(OsloTime(2026, 3, 6, 9, 0), calendar.ClampToWorkingHours(OsloTime(2026, 3, 6, 7, 0)));
        Assert.Equal(OsloTime(2026, 3, 6, 12, 0), calendar.ClampToWorkingHours(OsloTime(2026, 3, 6, 12, 0)));
    }

    [Fact]
    public void WithTimeZone_reads_the_same_hours_in_the_users_zone()
    {
        var tenant = OsloOffice();
        var user = tenant.WithTimeZone(DateTimeZoneProviders.Tzdb["America/New_York"]);
        var from = OsloTime(2026, 3, 6, 16, 0); // 10:00 in New York
        Assert.Equal(new LocalDateTime(2026, 3, 9, 9, 0), user.NextWorkingDayAt(from, new LocalTime(9, 0)).InZone(user.TimeZone).LocalDateTime);
    }

    [Fact]
    public void Invalid_options_are_rejected_with_the_option_named()
    {
        var ex = Assert.Throws<CrmValidationException>(() =>
            new BusinessCalendar(Oslo, [], new LocalTime(18, 0), new LocalTime(9, 0), []));
        Assert.Equal(["workingDays", "workingHours"], ex.Errors.Select(e => e.Field));
        Assert.Throws<ArgumentOutOfRangeException>(() => OsloOffice().AddWorkingDays(new LocalDate(2026, 1, 5), -1));
        Assert.Throws<ArgumentNullException>(() => new BusinessCalendar(null!));
    }

    [Theory]
    [InlineData("5 working days")]
    [InlineData("1 working day")]
    [InlineData("PT4H working")]
    [InlineData("PT30M working")]
    [InlineData("PT48H")]
    public void BusinessDuration_text_round_trips(string text)
    {
        var parsed = BusinessDuration.Parse(text);
        Assert.Equal(parsed, BusinessDuration.Parse(parsed.ToString()));
    }

    [Fact]
    public void BusinessDuration_adds_in_business_time()
    {
        var calendar = OsloOffice();
        var friday = OsloTime(2026, 3, 6, 16, 0);
        Assert.Equal(OsloTime(2026, 3, 13, 16, 0), BusinessDuration.WorkingDays(5).AddTo(friday, calendar));
        Assert.Equal(OsloTime(2026, 3, 9, 11, 0), BusinessDuration.WorkingHours(4).AddTo(friday, calendar));
        Assert.Equal(friday + Duration.FromHours(48), BusinessDuration.Calendar(Duration.FromHours(48)).AddTo(friday, calendar));
        Assert.Equal(BusinessDurationKind.WorkingDays, BusinessDuration.Parse("5 working days").Kind);
        Assert.Throws<FormatException>(() => BusinessDuration.Parse("five days"));
    }
}
