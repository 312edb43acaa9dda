using Crm.Abstractions.Automation;
using Crm.Abstractions;
using Crm.Kernel.Clients;
using Crm.Kernel.Deals;
using Crm.Kernel.Hosting;
using Crm.Kernel.Invoicing;
using Crm.Kernel.Organization;
using Crm.Kernel.Rules;
using Crm.Kernel.Scheduling;
using Crm.Abstractions.Ports;
using NodaTime;
using NodaTime.Testing;

namespace Crm.Samples.Quickstart;

/// <summary>A head and three sellers work leads through a funnel with goals, one simulated day at a time.</summary>
internal sealed class SalesSimulation(CrmKernel kernel, FakeClock clock, int seed)
{
    public static readonly PipelineId Pipeline = new("b2b");
    private static readonly UserId Admin = new("admin");
    private static readonly UserId Head = new("helga");
    private static readonly UserId[] Sellers = [new("ola"), new("kari"), new("nils")];
    private static readonly string[] Industries = ["Retail", "Construction", "Software", "Logistics"];
    private static readonly string[] Cities = ["Oslo", "Bergen", "Trondheim", "Stavanger"];
    private readonly Random _random = new(seed);
    private readonly List<string> _phones = new();

    private string NewPhone()
    {
        var phone = $"+47 9{_random.Next(1000000, 9999999)}";
        _phones.Add(phone);
        return phone;
    }

    public TenantId Tenant { get; } = new("demo");

    public static PipelineDefinition Funnel() => new(Pipeline, "B2B sales",
    [
        new StageDefinition(new StageId("unsorted"), "Unsorted") { IsUnsorted = true },
        new StageDefinition(new StageId("lead"), "Lead")
        {
            WinProbability = 0.1m,
            Norm = Duration.FromDays(3),
            Goals =
            [
                new GoalDefinition(new GoalId("contact-made"), "Contact made",
                    [new MoveToStage(new StageId("qualified")), new SetField("client.classifier.status", "prospect")]),
                new GoalDefinition(new GoalId("not-a-fit"), "Not a fit", [new MoveToStage(new StageId("lost"))]),
            ],
        },
        new StageDefinition(new StageId("qualified"), "Qualified")
        {
            WinProbability = 0.25m,
            Norm = Duration.FromDays(7),
            Goals =
            [
                new GoalDefinition(new GoalId("needs-confirmed"), "Needs confirmed",
                    [new SetField("deal.field.needs", "confirmed"), new MoveToStage(new StageId("proposal")), new CreateTask("Send the commercial offer", BusinessDuration.Calendar(Duration.FromDays(5)))]),
            ],
        },
        new StageDefinition(new StageId("proposal"), "Proposal")
        {
            WinProbability = 0.5m,
            Norm = Duration.FromDays(10),
            RequiredFields = ["needs"],
            Goals =
            [
                new GoalDefinition(new GoalId("offer-sent"), "Commercial offer sent", [new SetField("deal.field.offerSent", "yes")]),
                new GoalDefinition(new GoalId("offer-accepted"), "Offer accepted", [new MoveToStage(new StageId("negotiation"))]),
            ],
        },
        new StageDefinition(new StageId("negotiation"), "Negotiation")
        {
            WinProbability = 0.7m,
            Norm = Duration.FromDays(14),
            Manager = Head,
            Goals =
            [
                new GoalDefinition(new GoalId("requirements-received"), "Requirements received", [new CreateTask("Prepare the contract", BusinessDuration.Calendar(Duration.FromDays(2)))]),
                new GoalDefinition(new GoalId("purchase-prepared"), "Purchase being prepared",
                    [new MoveToStage(new StageId("won")), new SetField("client.classifier.status", "customer"), new Notify("Deal won", "A deal of your team was won.", Recipient.OwnerHead), new StartProcess("delivery")]),
                new GoalDefinition(new GoalId("refused"), "Refused", [new MoveToStage(new StageId("lost")), new SetField("client.classifier.status", "refused")]),
                new GoalDefinition(new GoalId("postponed"), "Decision postponed",
                    [new SetField("deal.field.postponed", "yes"), new CreateTask("Call back about the decision", BusinessDuration.Calendar(Duration.FromDays(14)))]),
            ],
        },
        new StageDefinition(new StageId("won"), "Won", StageKind.Won) { WinProbability = 1m },
        new StageDefinition(new StageId("lost"), "Lost", StageKind.Lost) { WinProbability = 0m },
    ]);

    /// <summary>Runs the team for <paramref name="days"/> days; <paramref name="alsoEachDay"/> lets other tenants work the same day (same clock, same timer runs).</summary>
    public async Task RunAsync(int days, Action<int> progress, Func<int, Task>? alsoEachDay = null)
    {
        await SetUpAsync();
        var open = new List<(DealId Deal, UserId Owner)>();
        var unpaid = new List<(InvoiceId Invoice, UserId Owner, int PayDay)>();
        var deliveries = new List<(string Process, UserId Owner, int Step)>();
        var clientNo = 0;
        var start = clock.GetCurrentInstant();
        for (var day = 1; day <= days; day++)
        {
            progress(day);
            // Each simulated day starts at the same hour: the work of a day never spills into the next.
            var dayStart = start + Duration.FromDays(day - 1);
            var dayEnd = dayStart + Duration.FromHours(10);
            clock.Advance(Duration.FromHours(1));
            // Incoming leads: each becomes a client card and a deal, owned by the seller who took it.
            for (var lead = _random.Next(1, 4); lead > 0; lead--)
            {
                var seller = Sellers[_random.Next(Sellers.Length)];
                var session = kernel.OpenSession(Tenant, seller);
                clientNo++;
                var client = await session.Clients.RegisterAsync(new NewClient($"Client {clientNo:000} AS")
                {
                    Contacts = [new ClientContact("Contact " + clientNo, NewPhone(), $"post{clientNo}@client{clientNo}.no")],
                    City = Cities[_random.Next(Cities.Length)],
                    Region = "Norway",
                    Industry = Industries[_random.Next(Industries.Length)],
                });
                var deal = await session.Deals.OpenAsync(new NewDeal(client.Id, Pipeline, Money.Of(_random.Next(20, 400) * 100m, "NOK"))
                {
                    Title = $"Deal with {client.Name}",
                    Source = _random.Next(3) == 0 ? "website" : "call",
                });
                await session.Activities.LogAsync(new Crm.Kernel.Activities.NewActivity(ActivityKind.Call, client.Id, "Inbound call") { Deal = deal.Id, Duration = Duration.FromMinutes(_random.Next(2, 20)) });
                open.Add((deal.Id, seller));
            }

            // Phone calls: some from known clients (recognized, the client card pops up), some from unknown numbers
            // (a client card and a deal land in "Unsorted", owned by whoever answered), some missed (call-back task).
            for (var call = _random.Next(0, 3); call > 0; call--)
            {
                var answerer = Sellers[_random.Next(Sellers.Length)];
                // Two calls in three come from a known client, written in another national style.
                var number = _random.Next(3) == 0 || _phones.Count == 0 ? NewPhone() : "0047 " + _phones[_random.Next(_phones.Count)][4..].Replace(" ", "", StringComparison.Ordinal);
                var callId = $"call-{day}-{call}";
                var at = clock.GetCurrentInstant();
                if (_random.Next(5) == 0)
                {
                    await kernel.Telephony.HandleAsync(Tenant, new CallEvent(callId, CallEventKind.Ringing, CallDirection.Inbound, number, answerer.Value, at));
                    await kernel.Telephony.HandleAsync(Tenant, new CallEvent(callId, CallEventKind.Ended, CallDirection.Inbound, number, null, at + Duration.FromSeconds(25)));
                    continue;
                }

                var handled = await kernel.Telephony.HandleAsync(Tenant, new CallEvent(callId, CallEventKind.Answered, CallDirection.Inbound, number, answerer.Value, at));
                await kernel.Telephony.HandleAsync(Tenant, new CallEvent(callId, CallEventKind.Ended, CallDirection.Inbound, number, answerer.Value,
                    at + Duration.FromMinutes(_random.Next(1, 12)), $"rec://{callId}"));
                if (handled.CreatedDeal is { } fromCall)
                {
                    var session = kernel.OpenSession(Tenant, answerer);
                    await session.Deals.SetAmountAsync(fromCall, Money.Of(_random.Next(20, 300) * 100m, "NOK"));
                    await session.Deals.MoveAsync(fromCall, new StageId("lead"));
                    open.Add((fromCall, answerer));
                }
            }

            // Sellers work their deals: achieve the goal that fits where each deal is.
            foreach (var (dealId, owner) in open.ToArray())
            {
                var pause = Duration.FromMinutes(_random.Next(5, 40));
                if (clock.GetCurrentInstant() + pause < dayEnd)
                {
                    clock.Advance(pause);
                }

                if (_random.NextDouble() > 0.35)
                {
                    continue;
                }

                var session = kernel.OpenSession(Tenant, owner);
                var deal = await session.Deals.GetAsync(dealId);
                if (deal.Stage.Value == "proposal" && !deal.Fields.ContainsKey("offerSent") && _random.NextDouble() < 0.7)
                {
                    deal = await session.Deals.AchieveGoalAsync(dealId, new GoalId("offer-sent"));
                    continue;
                }

                if (deal.Stage.Value == "qualified" && deal.Amount.Amount < 15_000m && _random.NextDouble() < 0.1
                    && (await session.Rules.ListInstancesAsync(dealId)).Any(r => r.Outcome == RuleOutcome.Pending && r.ExceptionFlag is null))
                {
                    await session.Rules.RequestExceptionAsync(dealId, "special payment terms");
                }

                GoalId? goal = deal.Stage.Value switch
                {
                    "lead" => _random.NextDouble() < 0.8 ? new GoalId("contact-made") : new GoalId("not-a-fit"),
                    "qualified" => new GoalId("needs-confirmed"),
                    "proposal" => _random.NextDouble() < 0.75 ? new GoalId("offer-accepted") : null,
                    "negotiation" => _random.Next(4) switch
                    {
                        0 => new GoalId("requirements-received"),
                        1 or 2 => new GoalId("purchase-prepared"),
                        _ => new GoalId("refused"),
                    },
                    _ => null,
                };
                if (goal is { } g)
                {
                    deal = await session.Deals.AchieveGoalAsync(dealId, g);
                }
                else if (deal.Stage.Value == "proposal" && _random.NextDouble() < 0.3)
                {
                    deal = await session.Deals.MoveAsync(dealId, new StageId("lost"));
                }

                if (deal.Status == DealStatus.Won)
                {
                    // A won deal is invoiced from the catalogue in one step; the client pays a few days later.
                    var invoice = await session.Invoices.CreateAsync(dealId, [new InvoiceLineRequest("licence", _random.Next(1, 6)), new InvoiceLineRequest("onboarding", 1, 10m)]);
                    await session.Invoices.IssueAsync(invoice.Id);
                    unpaid.Add((invoice.Id, owner, day + _random.Next(2, 8)));
                }

                if (deal.Status != DealStatus.Open)
                {
                    open.Remove((dealId, owner));
                }
            }

            foreach (var payment in unpaid.Where(p => p.PayDay == day).ToArray())
            {
                await kernel.OpenSession(Tenant, payment.Owner).Invoices.MarkPaidAsync(payment.Invoice);
                unpaid.Remove(payment);
            }

            // Heads decide on exception requests; logistics moves deliveries along (sometimes late: escalations).
            var head = kernel.OpenSession(Tenant, Head);
            // Ids are random GUIDs: order by what a person sees, so the seed alone decides what happens.
            foreach (var note in (await head.Inbox.ListAsync(unreadOnly: true)).OrderBy(n => n.At).ThenBy(n => n.Subject, StringComparer.Ordinal).ThenBy(n => n.Body, StringComparer.Ordinal))
            {
                if (note.Subject.StartsWith("Approval request", StringComparison.Ordinal) && note.Deal is { } flagged)
                {
                    foreach (var instance in (await head.Rules.ListInstancesAsync(flagged)).OrderBy(i => i.StartedAt).ThenBy(i => i.Rule.Value, StringComparer.Ordinal))
                    {
                        if (instance.ExceptionStatus == ExceptionStatus.Pending)
                        {
                            await head.Rules.DecideExceptionAsync(instance.Id, approve: _random.Next(3) != 0);
                        }
                    }
                }

                await head.Inbox.MarkReadAsync(note.Id);
            }

            foreach (var process in await ListDeliveriesAsync(head))
            {
                var permitted = await head.Processes.ListPermittedTriggersAsync(process.Id);
                if (permitted.Count > 0 && _random.NextDouble() < 0.45)
                {
                    var trigger = permitted[0];
                    if (trigger == "documentsSigned")
                    {
                        await head.Deals.RaiseSignalAsync(process.Deal!.Value, "DeliveryDocumentsSigned");
                    }
                    else
                    {
                        await head.Processes.FireAsync(process.Id, trigger);
                    }
                }
            }

            if (alsoEachDay is not null)
            {
                await alsoEachDay(day);
            }

            clock.Reset(dayStart + Duration.FromDays(1));
            // Reminders and escalations of the day's tasks fire from durable timers.
            await kernel.Scheduler.RunDueAsync(clock.GetCurrentInstant());
        }
    }

    private static async Task<IReadOnlyList<Crm.Kernel.Processes.ProcessInstance>> ListDeliveriesAsync(Crm.Kernel.Security.CrmSession head)
    {
        var result = new List<Crm.Kernel.Processes.ProcessInstance>();
        foreach (var deal in (await head.Deals.ListAsync(new DealQuery { Status = DealStatus.Won })).OrderBy(d => d.OpenedAt).ThenBy(d => d.Title, StringComparer.Ordinal))
        {
            result.AddRange((await head.Processes.ListForDealAsync(deal.Id)).Where(p => p.Status == Crm.Kernel.Processes.ProcessStatus.Running).OrderBy(p => p.StartedAt));
        }

        return result;
    }

    private async Task SetUpAsync()
    {
        await kernel.InitializeTenantAsync(Tenant, Admin, "Astrid Admin");
        var admin = kernel.OpenSession(Tenant, Admin);
        if ((await admin.Organization.ListUsersAsync()).Count > 1)
        {
            throw new InvalidOperationException("The database already holds a simulation; run without --keep to start fresh.");
        }

        await admin.Organization.RegisterUserAsync(new NewUser(Head, "Helga Head", CrmRole.Head) { TimeZone = "Europe/Oslo" });
        await admin.Organization.DefineTeamAsync(new TeamId("oslo"), "Oslo office", Head);
        foreach (var seller in Sellers)
        {
            await admin.Organization.RegisterUserAsync(new NewUser(seller, char.ToUpperInvariant(seller.Value[0]) + seller.Value[1..], CrmRole.Seller) { Team = new TeamId("oslo") });
        }

        await admin.Pipelines.DefineAsync(Funnel());
        await admin.Rules.DefineAsync(SmallDealRule());
        await admin.Products.DefineAsync("licence", "CRM licence, 1 year", Money.Of(4_800m, "NOK"), 0.25m);
        await admin.Products.DefineAsync("onboarding", "Onboarding day", Money.Of(9_500m, "NOK"), 0.25m);
    }

    /// <summary>The team's policy: a small deal gets a commercial offer within 5 working days.</summary>
    public static RuleDefinition SmallDealRule() =>
        RuleDefinition.Create("small-deal-offer", "Small deal: offer within 5 days", "DealOpened")
            .Criteria(new FieldCompare("deal.amount", Comparison.LessThan, 15_000m))
            .Then(new Notify("Prepare a commercial offer", "Prepare a commercial offer for {title} and send it within 5 days."))
            .After(BusinessDuration.WorkingDays(1), new Notify("Reminder: offer for {title}", "The offer is not sent yet."), unless: new FieldIsSet("deal.field.offerSent"))
            .After(BusinessDuration.WorkingDays(4), new Notify("Reminder: offer for {title}", "One day left."), unless: new FieldIsSet("deal.field.offerSent"))
            .MustMeetWithin(BusinessDuration.WorkingDays(5), new FieldIsSet("deal.field.offerSent"), NotificationPolicy.DailyDigest)
            .AllowExceptions(new RuleExceptionPolicy("Complex", ["special warranty terms", "special payment terms"]))
            .Build();
}
