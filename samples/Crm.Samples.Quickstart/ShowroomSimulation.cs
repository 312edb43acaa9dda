using System.Globalization;
using Crm.Abstractions;
using Crm.Kernel.Clients;
using Crm.Kernel.Deals;
using Crm.Kernel.Hosting;
using Crm.Kernel.Organization;
using Crm.Kernel.Reports;
using Crm.Kernel.Scheduling;
using NodaTime;

namespace Crm.Samples.Quickstart;

/// <summary>
/// A second tenant in the same kernel: a car showroom that installs the Dealer methodology from its plug-in (stages,
/// goals, the credit-approval process, the bank and service follow-up rules) and sells cars through it, one simulated
/// day at a time beside the B2B team. Nothing of the methodology is coded here: only what people and the bank do.
/// </summary>
internal sealed class ShowroomSimulation(CrmKernel kernel, int seed)
{
    private const string Methodology = "dealer";
    private static readonly PipelineId Pipeline = new("dealer");
    private static readonly UserId Admin = new("admin");
    private static readonly UserId Head = new("hedda");
    private static readonly UserId[] Sellers = [new("sven"), new("siri")];
    private static readonly string[] Models = ["Volvo EX30", "Volvo XC40", "Polestar 2", "Skoda Enyaq"];
    private readonly Random _random = new(seed + 1);
    private readonly List<(DealId Deal, UserId Owner, int Since)> _open = new();
    private int _buyer;

    public TenantId Tenant { get; } = new("fjord-motors");

    /// <summary>Whether the Dealer methodology was offered by a plug-in (and so the showroom runs).</summary>
    public bool Enabled { get; private set; }

    /// <summary>The methodologies the plug-ins offered, as the showroom's administrator lists them.</summary>
    public IReadOnlyList<Crm.Kernel.Methodologies.MethodologyInfo> Offered { get; private set; } = [];

    public async Task SetUpAsync()
    {
        await kernel.InitializeTenantAsync(Tenant, Admin, "Arne Admin");
        var admin = kernel.OpenSession(Tenant, Admin);
        Offered = await admin.Methodologies.ListAsync();
        if (!Offered.Any(m => m.Id == Methodology))
        {
            return;
        }

        await admin.Organization.RegisterUserAsync(new NewUser(Head, "Hedda Head", CrmRole.Head) { TimeZone = "Europe/Oslo" });
        await admin.Organization.DefineTeamAsync(new TeamId("showroom"), "Showroom", Head);
        foreach (var seller in Sellers)
        {
            await admin.Organization.RegisterUserAsync(new NewUser(seller, char.ToUpperInvariant(seller.Value[0]) + seller.Value[1..], CrmRole.Seller) { Team = new TeamId("showroom") });
        }

        await admin.Methodologies.InstallAsync(Methodology);

        // The showroom's own business calendar, as tenant data: Oslo hours and the Norwegian public holidays that fall
        // on weekdays. The B2B tenant beside it defines none and keeps the host's calendar.
        await admin.Configuration.DefineCalendarAsync(new BusinessCalendarOptions
        {
            TimeZone = DateTimeZoneProviders.Tzdb["Europe/Oslo"],
            WorkingHoursStart = new LocalTime(8, 0),
            WorkingHoursEnd = new LocalTime(16, 0),
            Holidays = new HashSet<LocalDate>
            {
                new(2026, 1, 1), new(2026, 4, 2), new(2026, 4, 3), new(2026, 4, 6), new(2026, 5, 1), new(2026, 5, 14),
                new(2026, 5, 25), new(2026, 12, 24), new(2026, 12, 25), new(2026, 12, 31),
            },
        }, version: 1);
        Enabled = true;
    }

    /// <summary>One showroom day: walk-in and web leads arrive; sellers, buyers and the bank move the deals on.</summary>
    public async Task DayAsync(int day)
    {
        if (!Enabled)
        {
            return;
        }

        for (var lead = _random.Next(0, 3); lead > 0; lead--)
        {
            var seller = Sellers[_random.Next(Sellers.Length)];
            var session = kernel.OpenSession(Tenant, seller);
            _buyer++;
            var client = await session.Clients.RegisterAsync(new NewClient($"Buyer {_buyer:000}", ClientKind.Person)
            {
                Contacts = [new ClientContact($"Buyer {_buyer:000}", $"+47 4{_random.Next(1000000, 9999999)}", null)],
                City = "Bergen",
                Industry = "Private",
            }, DuplicateHandling.Merge);
            var deal = await session.Deals.OpenAsync(new NewDeal(client.Id, Pipeline, Money.Of(_random.Next(300, 700) * 1_000m, "NOK"))
            {
                Title = $"Car for {client.Name}",
                Source = _random.Next(2) == 0 ? "walk-in" : "web",
            });
            _open.Add((deal.Id, seller, day));
        }

        foreach (var (dealId, owner, since) in _open.ToArray())
        {
            if (_random.NextDouble() > 0.5)
            {
                continue; // not every deal moves every day
            }

            var session = kernel.OpenSession(Tenant, owner);
            var deal = await session.Deals.GetAsync(dealId);
            switch (deal.Stage.Value)
            {
                case "lead":
                    deal = await session.Deals.AchieveGoalAsync(dealId, new GoalId(_random.NextDouble() < 0.8 ? "contacted" : "not-interested"));
                    break;
                case "test-drive":
                    await session.Deals.SetFieldAsync(dealId, "model", Models[_random.Next(Models.Length)]);
                    deal = await session.Deals.AchieveGoalAsync(dealId, new GoalId(_random.NextDouble() < 0.6 ? "wants-credit" : "pays-cash"));
                    break;
                case "credit":
                    // The seller sends the application; a day or two later the bank answers through the integration.
                    var credit = (await session.Processes.ListForDealAsync(dealId)).FirstOrDefault(p => p.Status == Crm.Kernel.Processes.ProcessStatus.Running);
                    if (credit is { CurrentStep: "application" })
                    {
                        await session.Processes.FireAsync(credit.Id, "submitted");
                    }
                    else if (credit is { CurrentStep: "bankDecision" })
                    {
                        deal = await session.Deals.RaiseSignalAsync(dealId, _random.NextDouble() < 0.75 ? "BankApproved" : "BankDeclined");
                        deal = await session.Deals.GetAsync(dealId);
                    }
                    else if (day - since > 10)
                    {
                        deal = await session.Deals.MoveAsync(dealId, new StageId("lost"));   // declined, no cheaper model found
                    }

                    break;
                case "contract":
                    if (!deal.Fields.ContainsKey("financing"))
                    {
                        await session.Deals.SetFieldAsync(dealId, "financing", "cash");
                    }

                    await session.Deals.SetFieldAsync(dealId, "vin", $"YV1XZK7V{_random.Next(100000000, 999999999)}");
                    deal = await session.Deals.AchieveGoalAsync(dealId, new GoalId("contract-signed"));
                    break;
                case "delivery" when day - since > 5:
                    deal = await session.Deals.AchieveGoalAsync(dealId, new GoalId("handed-over"));
                    break;
            }

            if (deal.Status != DealStatus.Open)
            {
                _open.Remove((dealId, owner, since));
            }
        }
    }

    /// <summary>Prints the plug-ins' methodologies, the showroom's funnel and its methodology's report presets.</summary>
    public async Task PrintAsync(TextWriter output, TenantId other, UserId otherUser)
    {
        output.WriteLine();
        output.WriteLine($"Methodologies offered by plug-ins: {(Offered.Count == 0 ? "none (no plug-ins found)" : string.Join(", ", Offered.Select(m => $"{m.Id} ({m.Name})")))}");
        if (!Enabled)
        {
            output.WriteLine("The Dealer methodology plug-in was not loaded: the showroom tenant is skipped.");
            return;
        }

        var head = kernel.OpenSession(Tenant, Head);
        var installed = (await kernel.OpenSession(Tenant, Admin).Methodologies.ListInstalledAsync()).Single();
        output.WriteLine($"Tenant '{Tenant}' installed '{installed.Name}': pipelines {string.Join(", ", installed.Pipelines)}; " +
            $"processes {string.Join(", ", installed.ProcessTemplates)}; rules {string.Join(", ", installed.Rules)}.");
        var calendar = await head.Configuration.GetCalendarAsync();
        var otherCalendar = await kernel.OpenSession(other, otherUser).Configuration.GetCalendarAsync();
        var easter = Instant.FromUtc(2026, 4, 1, 8, 0);   // Wednesday before Easter, 10:00 in Oslo
        var pattern = NodaTime.Text.ZonedDateTimePattern.CreateWithInvariantCulture("ddd d MMM HH:mm", null);
        output.WriteLine($"Tenant '{Tenant}' has its own business calendar ({calendar.TimeZone}, {calendar.WorkingHoursStart.ToString("HH:mm", CultureInfo.InvariantCulture)}–{calendar.WorkingHoursEnd.ToString("HH:mm", CultureInfo.InvariantCulture)}, " +
            $"{calendar.Holidays.Count} holidays such as {string.Join(", ", calendar.Holidays.Order().Where(d => d.Month == 4).Select(d => d.ToString("d MMM", CultureInfo.InvariantCulture)))}): " +
            $"1 working day from {pattern.Format(easter.InZone(calendar.TimeZone))} is {pattern.Format(BusinessDuration.WorkingDays(1).AddTo(easter, calendar).InZone(calendar.TimeZone))} here, " +
            $"{pattern.Format(BusinessDuration.WorkingDays(1).AddTo(easter, otherCalendar).InZone(calendar.TimeZone))} in tenant '{other}'.");
        var data = await head.Reports.GetSnapshotAsync(Pipeline);
        var culture = CultureInfo.InvariantCulture;
        output.WriteLine();
        output.Write(ReportRenderer.ToConsole(ReportRenderer.Table(SalesReports.Funnel(data), culture) with { Title = "Showroom funnel (Dealer methodology)" }));
        var outcomes = SalesReports.Outcomes(data);
        output.WriteLine($"Cars delivered {outcomes.Won}, lost {outcomes.Lost}, in progress {outcomes.Open}.");
        foreach (var preset in await head.Methodologies.ListReportPresetsAsync())
        {
            // A preset names a currency of its own; the showroom sells in NOK, so the preset runs in NOK.
            var rows = ReportDesigner.Run(data, preset.Definition with { Currency = "NOK" });
            output.WriteLine();
            output.WriteLine($"{preset.Definition.Name} (a report preset the methodology ships; amounts in NOK)");
            Table.Write(output, [.. preset.Definition.GroupBy.Select(d => d.ToString()), .. preset.Definition.Measures.Select(m => m.ToString())],
                rows.Select(r => r.Keys.Concat(r.Values.Select(v => v.ToString("#,0.##", culture))).ToArray()).ToList());
        }
    }
}
