using Crm.Abstractions;
using Crm.Abstractions.Events;
using Crm.Kernel.Configuration;
using Crm.Kernel.Hosting;
using Crm.Kernel.Processes;
using Crm.Kernel.Scheduling;
using Crm.Kernel.Storage;
using Crm.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;
using NodaTime.Testing;
using Xunit;
using static Crm.Kernel.Tests.TestKernel;

namespace Crm.Kernel.Tests.Configuration;

/// <summary>Issue 19, point 2: per-tenant configuration defined at run time through the session API.</summary>
public sealed class Issue19TenantConfigurationTests
{
    // Start is Monday 2026-03-02 09:00 UTC; the holiday is the Tuesday after.
    private static readonly LocalDate Holiday = new(2026, 3, 3);

    // No on-entry actions: the template is about steps, deadlines and versions (the action JSON is issue 19 point 1's).
    private static string Onboarding(int version, string trigger = "done") => $$"""
        { "id": "onboarding", "version": {{version}}, "name": "Onboarding v{{version}}", "roles": [ "sales" ], "initialStep": "kickoff",
          "steps": [
            { "name": "kickoff", "responsibleRole": "sales", "deadline": "1 working day",
              "transitions": [ { "trigger": "{{trigger}}", "target": "live" } ] },
            { "name": "live", "final": true } ] }
        """;

    private static ServiceProvider Provider(string store, string file, FakeClock clock)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IClock>(clock);
        services.AddCrmKernel(crm => (store == "sqlite" ? crm.UseSqlite($"Data Source={file}") : crm.UseInMemoryStore()).Configure(o => o.DefaultPhoneRegion = "NO"));
        return services.BuildServiceProvider();
    }

    private static BusinessCalendarOptions WithHoliday() => new() { Holidays = new HashSet<LocalDate> { Holiday } };

    /// <summary>
    /// Guards the issue's test: one tenant defines a template and a holiday calendar at run time; another tenant on the
    /// same kernel does not get the template and keeps the host's calendar, so a deadline over the holiday differs. On
    /// SQLite the definitions are read back by a new kernel on the same file.
    /// </summary>
    [Theory]
    [InlineData("memory")]
    [InlineData("sqlite")]
    public async Task Issue19_a_tenant_defines_a_template_and_a_holiday_calendar_while_another_tenant_is_unaffected(string store)
    {
        var folder = Directory.CreateTempSubdirectory("crm-config-").FullName;
        var file = Path.Combine(folder, "crm.db");
        try
        {
            var clock = new FakeClock(Start);
            await using (var provider = Provider(store, file, clock))
            {
                var kernel = provider.GetRequiredService<CrmKernel>();
                var acme = Wrap(kernel, clock, "acme");
                var globex = Wrap(kernel, clock, "globex");
                await acme.SetUpOrganizationAsync();
                await globex.SetUpOrganizationAsync();

                var admin = acme.Session(Admin).Configuration;
                var template = await admin.DefineProcessTemplateAsync(Onboarding(1));
                await admin.DefineCalendarAsync(WithHoliday(), version: 1);
                Assert.Equal(("onboarding", 1), (template.Id, template.Version));

                // The template is acme's only.
                var acmeDeal = await acme.DealAsync(Seller1);
                var globexDeal = await globex.DealAsync(Seller1);
                var onboarding = await acme.Session(Seller1).Processes.OpenAsync("onboarding", acmeDeal.Id);
                Assert.Equal(("onboarding", 1, "kickoff"), (onboarding.TemplateId, onboarding.TemplateVersion, onboarding.CurrentStep));
                await Assert.ThrowsAsync<EntityNotFoundException>(() => globex.Session(Seller1).Processes.OpenAsync("onboarding", globexDeal.Id));
                Assert.Contains(await acme.Session(Admin).Configuration.ListProcessTemplatesAsync(), t => t.Id == "onboarding");
                Assert.DoesNotContain(await globex.Session(Admin).Configuration.ListProcessTemplatesAsync(), t => t.Id == "onboarding");
                Assert.Contains(await globex.Session(Admin).Configuration.ListProcessTemplatesAsync(), t => t.Id == "delivery");

                // One working day from Monday 09:00 skips acme's Tuesday holiday; globex keeps the host's calendar.
                Assert.Equal(Instant.FromUtc(2026, 3, 4, 9, 0), onboarding.StepDeadline);
                var acmeDelivery = await acme.Session(Seller1).Processes.OpenAsync("delivery", acmeDeal.Id);
                var globexDelivery = await globex.Session(Seller1).Processes.OpenAsync("delivery", globexDeal.Id);
                Assert.Equal(Instant.FromUtc(2026, 3, 4, 9, 0), acmeDelivery.StepDeadline);
                Assert.Equal(Instant.FromUtc(2026, 3, 3, 9, 0), globexDelivery.StepDeadline);
                Assert.Contains(Holiday, (await acme.Session(Seller1).Configuration.GetCalendarAsync()).Holidays);
                Assert.Empty((await globex.Session(Seller1).Configuration.GetCalendarAsync()).Holidays);

                // Journaled like pipelines and rules.
                var journal = await acme.Session(Admin).Journal.ListAsync(0, 10_000);
                Assert.Equal(["process-template", "calendar"], journal.Select(e => e.Event).OfType<TenantSettingDefined>().Select(e => e.Kind));
                Assert.Empty((await globex.Session(Admin).Journal.ListAsync(0, 10_000)).Select(e => e.Event).OfType<TenantSettingDefined>());
                Assert.Empty(await globex.Session(Admin).Configuration.ListAsync());
            }

            if (store == "sqlite")
            {
                Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                await using var reopened = Provider(store, file, clock);
                var kernel = reopened.GetRequiredService<CrmKernel>();
                var acme = Wrap(kernel, clock, "acme");
                var globex = Wrap(kernel, clock, "globex");
                var deal = await acme.DealAsync(Seller2);
                Assert.Equal(Instant.FromUtc(2026, 3, 4, 9, 0), (await acme.Session(Seller2).Processes.OpenAsync("onboarding", deal.Id)).StepDeadline);
                await Assert.ThrowsAsync<EntityNotFoundException>(async () => await globex.Session(Seller2).Processes.OpenAsync("onboarding", (await globex.DealAsync(Seller2)).Id));
                Assert.Equal(["calendar/default", "process-template/onboarding"], (await acme.Session(Admin).Configuration.ListAsync()).Select(s => $"{s.Kind}/{s.Key}"));
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Guards: a new template version applies to new instances; a running one stays on the version it started with.</summary>
    [Fact]
    public async Task Issue19_a_running_process_stays_on_the_template_version_it_started_with()
    {
        await using var k = await WithOrganizationAsync();
        var admin = k.Session(Admin).Configuration;
        await admin.DefineProcessTemplateAsync(Onboarding(1, trigger: "done"));
        var deal = await k.DealAsync(Seller1);
        var old = await k.Session(Seller1).Processes.OpenAsync("onboarding", deal.Id);

        await admin.DefineProcessTemplateAsync(Onboarding(2, trigger: "go-live"));
        var fresh = await k.Session(Seller1).Processes.OpenAsync("onboarding", deal.Id);

        Assert.Equal(1, old.TemplateVersion);
        Assert.Equal(2, fresh.TemplateVersion);
        Assert.Equal(["done"], await k.Session(Seller1).Processes.ListPermittedTriggersAsync(old.Id));
        Assert.Equal(["go-live"], await k.Session(Seller1).Processes.ListPermittedTriggersAsync(fresh.Id));
        var error = await Assert.ThrowsAsync<InvalidStateException>(() => k.Session(Seller1).Processes.FireAsync(old.Id, "go-live"));
        Assert.Contains("'onboarding' v1", error.Message, StringComparison.Ordinal);
        Assert.Equal(ProcessStatus.Completed, (await k.Session(Seller1).Processes.FireAsync(old.Id, "done")).Status);
        Assert.Equal(ProcessStatus.Completed, (await k.Session(Seller1).Processes.FireAsync(fresh.Id, "go-live")).Status);
        Assert.Equal("onboarding", Assert.Single(await admin.ListProcessTemplatesAsync(), t => t.Id == "onboarding").Id);
        Assert.Equal(2, (await admin.ListProcessTemplatesAsync()).Single(t => t.Id == "onboarding").Version);
    }

    /// <summary>
    /// Guards: non-administrators are refused; a version that does not grow (a concurrent or stale definition), a template
    /// version not above the default in code, a sub-process that does not exist, and a meaningless calendar are refused
    /// with the field named, and nothing is recorded.
    /// </summary>
    [Fact]
    public async Task Issue19_bad_stale_or_unauthorized_definitions_are_refused_and_nothing_changes()
    {
        await using var k = await WithOrganizationAsync();
        var admin = k.Session(Admin).Configuration;
        await Assert.ThrowsAsync<AccessDeniedException>(() => k.Session(Head1).Configuration.DefineProcessTemplateAsync(Onboarding(1)));
        await Assert.ThrowsAsync<AccessDeniedException>(() => k.Session(Seller1).Configuration.DefineCalendarAsync(WithHoliday(), 1));
        await Assert.ThrowsAsync<AccessDeniedException>(() => k.Session(Seller1).Configuration.DefineUserCalendarAsync(Seller2, "Asia/Tokyo", null, null, 1));
        await Assert.ThrowsAsync<AccessDeniedException>(() => k.Session(Seller1).Configuration.ListAsync());

        await admin.DefineProcessTemplateAsync(Onboarding(1));
        await admin.DefineCalendarAsync(WithHoliday(), 1);
        var before = await admin.ListAsync();

        var stale = await Assert.ThrowsAsync<CrmValidationException>(() => admin.DefineProcessTemplateAsync(Onboarding(1, "other")));
        Assert.Equal("$.version", Assert.Single(stale.Errors).Field);
        Assert.Contains("version 2", stale.Message, StringComparison.Ordinal);
        var belowCode = await Assert.ThrowsAsync<CrmValidationException>(() => admin.DefineProcessTemplateAsync(Onboarding(1).Replace("\"onboarding\"", "\"delivery\"", StringComparison.Ordinal)));
        Assert.Contains("registered in code", belowCode.Message, StringComparison.Ordinal);
        var sub = Onboarding(2).Replace("\"deadline\": \"1 working day\",", "\"deadline\": \"1 working day\", \"onEntry\": [ { \"action\": \"startProcess\", \"template\": \"nowhere\" } ],", StringComparison.Ordinal);
        var missing = await Assert.ThrowsAsync<CrmValidationException>(() => admin.DefineProcessTemplateAsync(sub));
        Assert.Contains(missing.Errors, e => e.Field.EndsWith(".template", StringComparison.Ordinal) && e.Message.Contains("nowhere", StringComparison.Ordinal));
        await Assert.ThrowsAsync<CrmValidationException>(() => admin.DefineProcessTemplateAsync("{ not json"));
        var again = await Assert.ThrowsAsync<CrmValidationException>(() => admin.DefineCalendarAsync(WithHoliday(), 1));
        Assert.Equal("version", Assert.Single(again.Errors).Field);
        await Assert.ThrowsAsync<CrmValidationException>(() => admin.DefineCalendarAsync(new BusinessCalendarOptions { WorkingHoursStart = new LocalTime(18, 0), WorkingHoursEnd = new LocalTime(9, 0) }, 2));
        await Assert.ThrowsAsync<CrmValidationException>(() => admin.DefineCalendarAsync(new BusinessCalendarOptions { WorkingDays = new HashSet<IsoDayOfWeek>() }, 2));
        var zone = await Assert.ThrowsAsync<CrmValidationException>(() => admin.DefineUserCalendarAsync(Seller1, "Europe/Nowhere", null, null, 1));
        Assert.Equal("timeZone", Assert.Single(zone.Errors).Field);
        await Assert.ThrowsAsync<CrmValidationException>(() => admin.DefineUserCalendarAsync(Seller1, null, new LocalTime(10, 0), null, 1));
        await Assert.ThrowsAsync<CrmValidationException>(() => admin.DefineOrderIntakeAsync("nowhere", "Call the buyer", 1));

        Assert.Equal(before, await admin.ListAsync());
    }

    /// <summary>Guards: a user's own zone and hours override the tenant's for what is scheduled for them (a process task's due date).</summary>
    [Fact]
    public async Task Issue19_a_users_own_zone_and_hours_override_the_tenants_calendar()
    {
        await using var k = await WithOrganizationAsync();
        await k.Session(Admin).Configuration.DefineCalendarAsync(WithHoliday(), 1);
        var own = await k.Session(Seller1).Configuration.DefineUserCalendarAsync(Seller1, "Asia/Tokyo", new LocalTime(10, 0), new LocalTime(15, 0), 1);
        Assert.Equal((DateTimeZoneProviders.Tzdb["Asia/Tokyo"], new LocalTime(10, 0)), (own.TimeZone, own.WorkingHoursStart));
        Assert.Contains(Holiday, own.Holidays);
        var tenant = await k.Session(Seller2).Configuration.GetUserCalendarAsync(Seller2);
        Assert.Equal((DateTimeZone.Utc, new LocalTime(9, 0)), (tenant.TimeZone, tenant.WorkingHoursStart));

        // Delivery's first step gives its logistics role (the owner here) a task due in one working day.
        var mine = await k.Session(Seller1).Processes.OpenAsync("delivery", (await k.DealAsync(Seller1)).Id);
        var theirs = await k.Session(Seller2).Processes.OpenAsync("delivery", (await k.DealAsync(Seller2)).Id);
        var myTask = Assert.Single(await k.Session(Seller1).Tasks.ListAsync(openOnly: true), t => t.Deal == mine.Deal);
        var theirTask = Assert.Single(await k.Session(Seller2).Tasks.ListAsync(openOnly: true), t => t.Deal == theirs.Deal);
        Assert.Equal(BusinessDuration.WorkingDays(1).AddTo(Start, own), myTask.Due);
        Assert.Equal(BusinessDuration.WorkingDays(1).AddTo(Start, tenant), theirTask.Due);
        Assert.NotEqual(myTask.Due, theirTask.Due);
    }

    /// <summary>
    /// Guards: order-intake options are per tenant: a tenant that defined its own gets its task title and no process;
    /// a tenant that defined none keeps the host's options (the Delivery process and the default title).
    /// </summary>
    [Fact]
    public async Task Issue19_order_intake_options_are_per_tenant()
    {
        var clock = new FakeClock(Start);
        await using var provider = Provider("memory", "", clock);
        var kernel = provider.GetRequiredService<CrmKernel>();
        var acme = Wrap(kernel, clock, "acme");
        var globex = Wrap(kernel, clock, "globex");
        foreach (var k in new[] { acme, globex })
        {
            await k.SetUpOrganizationAsync();
            await k.Session(Admin).Products.DefineAsync("chair", "Office chair", Money.Of(199.99m, "USD"), 0.25m);
        }

        await acme.Session(Admin).Configuration.DefineOrderIntakeAsync(processTemplate: null, taskTitle: "Call the buyer", version: 1);
        var order = new Crm.Kernel.Integration.WebsiteOrder("o-1", new Crm.Kernel.Integration.OrderBuyer("Nora", "+47 915 00 001", null), [new Crm.Kernel.Invoicing.InvoiceLineRequest("chair", 1)]);
        var mine = await kernel.Orders.IntakeAsync(acme.Tenant, order);
        var theirs = await kernel.Orders.IntakeAsync(globex.Tenant, order);

        var acmeTasks = await acme.Session(Admin).Tasks.ListAsync(openOnly: true);
        var globexTasks = await globex.Session(Admin).Tasks.ListAsync(openOnly: true);
        Assert.Contains(acmeTasks, t => t.Deal == mine.Order.Deal && t.Title == "Call the buyer: order o-1");
        Assert.DoesNotContain(globexTasks, t => t.Title.StartsWith("Call the buyer", StringComparison.Ordinal));
        Assert.Contains(globexTasks, t => t.Deal == theirs.Order.Deal && t.Title == "Confirm the order with the buyer: order o-1");
        Assert.Empty(await acme.Session(Admin).Processes.ListForDealAsync(mine.Order.Deal));
        Assert.Equal("delivery", Assert.Single(await globex.Session(Admin).Processes.ListForDealAsync(theirs.Order.Deal)).TemplateId);
    }

    /// <summary>
    /// Guards: a rule may start a template the tenant defined (the reference check looked only at templates registered
    /// in code), and another tenant's rule naming it is refused; a default installed as tenant data keeps its version.
    /// </summary>
    [Fact]
    public async Task Issue19_rules_see_the_tenants_own_templates_and_defaults_install_as_tenant_data()
    {
        var clock = new FakeClock(Start);
        await using var provider = Provider("memory", "", clock);
        var kernel = provider.GetRequiredService<CrmKernel>();
        var acme = Wrap(kernel, clock, "acme");
        var globex = Wrap(kernel, clock, "globex");
        await acme.SetUpOrganizationAsync();
        await globex.SetUpOrganizationAsync();
        await acme.Session(Admin).Configuration.DefineProcessTemplateAsync(Onboarding(1));
        var rule = new Crm.Kernel.Rules.RuleDefinition("start-onboarding", "Start onboarding", "DealOpened") { Actions = [new Crm.Abstractions.Automation.StartProcess("onboarding")] };

        await acme.Session(Admin).Rules.DefineAsync(rule);
        var refused = await Assert.ThrowsAsync<CrmValidationException>(() => globex.Session(Admin).Rules.DefineAsync(rule));
        Assert.Contains(refused.Errors, e => e.Field == "$.actions[0].template");
        var deal = await acme.DealAsync(Seller1);
        Assert.Equal("onboarding", Assert.Single(await acme.Session(Seller1).Processes.ListForDealAsync(deal.Id)).TemplateId);

        var installed = await globex.Session(Admin).Configuration.InstallProcessTemplateAsync("delivery");
        Assert.Equal(("delivery", 1), (installed.Id, installed.Version));
        await globex.Session(Admin).Configuration.InstallProcessTemplateAsync("delivery");   // again: nothing new
        var setting = Assert.Single(await globex.Session(Admin).Configuration.ListAsync());
        Assert.Equal(("process-template", "delivery", 1), (setting.Kind, setting.Key, setting.Version));
        Assert.Equal(installed, ProcessTemplateJson.Load(setting.Json));
        var process = await globex.Session(Seller1).Processes.OpenAsync("delivery", (await globex.DealAsync(Seller1)).Id);
        Assert.Equal(("delivery", 1, "orderConfirmed"), (process.TemplateId, process.TemplateVersion, process.CurrentStep));
        Assert.DoesNotContain(await acme.Session(Admin).Configuration.ListAsync(), x => x.Key == "delivery");
    }

    /// <summary>
    /// Guards: a saved report design and a KPI plan are one tenant's data: its users list and run them over what they
    /// may see; another tenant does not have them; a redefinition needs a higher version; a target for someone who is
    /// not a user of the tenant is refused.
    /// </summary>
    [Fact]
    public async Task Issue19_saved_report_designs_and_kpi_plans_are_per_tenant()
    {
        var clock = new FakeClock(Start);
        await using var provider = Provider("memory", "", clock);
        var kernel = provider.GetRequiredService<CrmKernel>();
        var acme = Wrap(kernel, clock, "acme");
        var globex = Wrap(kernel, clock, "globex");
        await acme.SetUpOrganizationAsync();
        await globex.SetUpOrganizationAsync();
        var deal = await acme.DealAsync(Seller1);
        await acme.DealAsync(Seller3);
        await acme.Session(Seller1).Activities.LogAsync(new Crm.Kernel.Activities.NewActivity(ActivityKind.Call, deal.Client, "Called"));
        var admin = acme.Session(Admin).Configuration;

        var design = new Crm.Kernel.Reports.ReportDefinition("By owner", [Crm.Kernel.Reports.Dimension.Owner], [Crm.Kernel.Reports.Measure.Count], "USD");
        await admin.DefineReportDesignAsync(design, 1);
        var rows = await acme.Session(Head1).Configuration.RunReportDesignAsync("By owner");
        Assert.Equal([Seller1.Value], rows.Select(r => r.Keys.Single()));   // the north head sees the north team's deals only
        Assert.Equal(2, (await acme.Session(Admin).Configuration.RunReportDesignAsync("By owner")).Count);
        await Assert.ThrowsAsync<EntityNotFoundException>(() => globex.Session(Admin).Configuration.RunReportDesignAsync("By owner"));
        Assert.Empty(await globex.Session(Admin).Configuration.ListReportDesignsAsync());
        var stale = await Assert.ThrowsAsync<CrmValidationException>(() => admin.DefineReportDesignAsync(design with { Measures = [Crm.Kernel.Reports.Measure.Sum] }, 1));
        Assert.Equal("version", Assert.Single(stale.Errors).Field);
        await Assert.ThrowsAsync<CrmValidationException>(() => admin.DefineReportDesignAsync(design with { Measures = [] }, 2));
        await admin.DefineReportDesignAsync(design with { Measures = [Crm.Kernel.Reports.Measure.Count, Crm.Kernel.Reports.Measure.Sum] }, 2);
        Assert.Equal(2, Assert.Single(await acme.Session(Seller1).Configuration.RunReportDesignAsync("By owner")).Values.Count);

        var q1 = new DateInterval(new LocalDate(2026, 1, 1), new LocalDate(2026, 3, 31));
        var calls = new Crm.Kernel.Reports.KpiDefinition("calls", Crm.Kernel.Reports.KpiMeasure.Calls, 1m);
        var ghost = await Assert.ThrowsAsync<CrmValidationException>(() => admin.DefineKpiPlanAsync("q1", [calls], [new Crm.Kernel.Reports.KpiPlan(new UserId("ghost"), "calls", q1, 10m)], 1));
        Assert.Equal("targets[0].employee", Assert.Single(ghost.Errors).Field);
        await Assert.ThrowsAsync<CrmValidationException>(() => admin.DefineKpiPlanAsync("q1", [calls], [new Crm.Kernel.Reports.KpiPlan(Seller1, "meetings", q1, 10m)], 1));
        await admin.DefineKpiPlanAsync("q1", [calls], [new Crm.Kernel.Reports.KpiPlan(Seller1, "calls", q1, 10m)], 1);
        var kpi = Assert.Single(await acme.Session(Head1).Configuration.RunKpiPlanAsync("q1"));
        Assert.Equal((Seller1.Value, 1m, 10m), (kpi.Employee, kpi.Values.Single().Actual, kpi.Values.Single().Target));
        Assert.Empty(await acme.Session(Head2).Configuration.RunKpiPlanAsync("q1"));
        await Assert.ThrowsAsync<EntityNotFoundException>(() => globex.Session(Admin).Configuration.RunKpiPlanAsync("q1"));
    }

    /// <summary>
    /// Guards: the notification policy is per tenant: one tenant's digests go out at its own time, another's violations
    /// are told at once whatever the rule says, and a tenant that defined nothing keeps 09:00 digests.
    /// </summary>
    [Fact]
    public async Task Issue19_notification_policies_are_per_tenant()
    {
        var clock = new FakeClock(Start);
        await using var provider = Provider("memory", "", clock);
        var kernel = provider.GetRequiredService<CrmKernel>();
        var tenants = new[] { Wrap(kernel, clock, "acme"), Wrap(kernel, clock, "globex"), Wrap(kernel, clock, "initech") };
        foreach (var k in tenants)
        {
            await k.SetUpOrganizationAsync();
            await k.Session(Admin).Rules.DefineAsync(Crm.Kernel.Tests.Rules.SmallDealRule.Create());   // violations in the daily digest
        }

        await tenants[0].Session(Admin).Configuration.DefineNotificationPolicyAsync(new LocalTime(8, 0), violations: null, version: 1);
        await tenants[2].Session(Admin).Configuration.DefineNotificationPolicyAsync(new LocalTime(9, 0), Crm.Kernel.Rules.NotificationPolicy.Immediate, version: 1);
        await Assert.ThrowsAsync<CrmValidationException>(() => tenants[2].Session(Admin).Configuration.DefineNotificationPolicyAsync(new LocalTime(9, 0, 30), null, version: 2));
        var starts = new List<long>();
        foreach (var k in tenants)
        {
            starts.Add(await k.JournalHeadAsync());
            await k.DealAsync(Seller1, 5_000m);
        }

        for (var hour = 1; hour <= 24 * 9; hour++)
        {
            clock.Advance(Duration.FromHours(1));
            await kernel.Scheduler.RunDueAsync(clock.GetCurrentInstant());
        }

        var notes = new List<(NotificationRequested Note, Instant At)[]>();
        for (var i = 0; i < tenants.Length; i++)
        {
            notes.Add([.. (await tenants[i].Session(Admin).Journal.ListAsync(starts[i], 100_000)).Where(x => x.Event is NotificationRequested { Recipient.Value: "h1" })
                .Select(x => ((NotificationRequested)x.Event, x.OccurredAt))]);
        }

        // The violation is on Monday 9 March 09:00 (five working days after the deal was opened).
        Assert.Equal(Instant.FromUtc(2026, 3, 10, 8, 0), Assert.Single(notes[0], n => n.Note.Subject.StartsWith("Rule violations", StringComparison.Ordinal)).At);
        Assert.Equal(Instant.FromUtc(2026, 3, 10, 9, 0), Assert.Single(notes[1], n => n.Note.Subject.StartsWith("Rule violations", StringComparison.Ordinal)).At);
        Assert.DoesNotContain(notes[2], n => n.Note.Subject.StartsWith("Rule violations", StringComparison.Ordinal));
        Assert.Equal(Instant.FromUtc(2026, 3, 9, 9, 0), Assert.Single(notes[2], n => n.Note.Subject.StartsWith("Violation:", StringComparison.Ordinal)).At);
        Assert.DoesNotContain(notes[0].Concat(notes[1]), n => n.Note.Subject.StartsWith("Violation:", StringComparison.Ordinal));
    }

    /// <summary>
    /// Guards: two administrators defining the same first version at the same time: one definition is stored, the other
    /// is refused with a typed error (a version conflict), never silently overwritten. Repeated over rounds on SQLite.
    /// </summary>
    [Fact]
    public async Task Issue19_concurrent_definitions_of_one_version_store_one_and_refuse_the_other()
    {
        var folder = Directory.CreateTempSubdirectory("crm-config-").FullName;
        try
        {
            var clock = new FakeClock(Start);
            await using var provider = Provider("sqlite", Path.Combine(folder, "crm.db"), clock);
            var k = Wrap(provider.GetRequiredService<CrmKernel>(), clock);
            await k.SetUpOrganizationAsync();
            await k.Session(Admin).Organization.RegisterUserAsync(new Crm.Kernel.Organization.NewUser(new UserId("admin2"), "Second Admin", CrmRole.Admin));
            for (var version = 1; version <= 5; version++)
            {
                var v = version;
                var attempts = new[] { Admin, new UserId("admin2") }.Select(user => Task.Run(async () =>
                {
                    try
                    {
                        await k.Session(user).Configuration.DefineCalendarAsync(new BusinessCalendarOptions { Holidays = new HashSet<LocalDate> { new(2026, 5, v) }, WorkingHoursEnd = new LocalTime(user == Admin ? 17 : 16, 0) }, v);
                        return (Exception?)null;
                    }
                    catch (CrmException e)
                    {
                        return e;
                    }
                })).ToArray();
                var outcomes = await Task.WhenAll(attempts);

                Assert.Single(outcomes, o => o is null);
                Assert.Single(outcomes, o => o is not null);
            }

            var journal = await k.Session(Admin).Journal.ListAsync(0, 10_000);
            Assert.Equal([1, 2, 3, 4, 5], journal.Select(e => e.Event).OfType<TenantSettingDefined>().Select(e => e.Version));
            Assert.Equal(5, Assert.Single(await k.Session(Admin).Configuration.ListAsync()).Version);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Guards: a rule's deadline is computed on the tenant's calendar (its holiday moves it), another tenant's on the host's.</summary>
    [Fact]
    public async Task Issue19_rule_deadlines_use_the_tenants_calendar()
    {
        var clock = new FakeClock(Start);
        await using var provider = Provider("memory", "", clock);
        var kernel = provider.GetRequiredService<CrmKernel>();
        var acme = Wrap(kernel, clock, "acme");
        var globex = Wrap(kernel, clock, "globex");
        var deadlines = new List<Instant?>();
        foreach (var k in new[] { acme, globex })
        {
            await k.SetUpOrganizationAsync();
            await k.Session(Admin).Rules.DefineAsync(Crm.Kernel.Tests.Rules.SmallDealRule.Create());   // met within 5 working days
        }

        await acme.Session(Admin).Configuration.DefineCalendarAsync(WithHoliday(), 1);
        foreach (var k in new[] { acme, globex })
        {
            var deal = await k.DealAsync(Seller1, 5_000m);
            deadlines.Add(Assert.Single(await k.Session(Seller1).Rules.ListInstancesAsync(deal.Id)).Deadline);
        }

        Assert.Equal([Instant.FromUtc(2026, 3, 10, 9, 0), Instant.FromUtc(2026, 3, 9, 9, 0)], deadlines);
    }
}
