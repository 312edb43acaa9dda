using System.Reflection;
using System.Text.Json;
using Crm.Abstractions;
using Crm.Abstractions.Ports;
using Crm.Kernel.Activities;
using Crm.Kernel.Clients;
using Crm.Kernel.Deals;
using Crm.Kernel.Import;
using Crm.Kernel.Invoicing;
using Crm.Kernel.Notifications;
using Crm.Kernel.Organization;
using Crm.Kernel.Processes;
using Crm.Kernel.Reports;
using Crm.Kernel.Rules;
using Crm.Kernel.Security;
using Crm.Kernel.Storage;
using Crm.Kernel.Tasks;
using Crm.Kernel.Telephony;
using Crm.Kernel.Tests.Rules;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;
using Xunit;
using Xunit.Abstractions;
using static Crm.Kernel.Tests.TestKernel;

namespace Crm.Kernel.Tests.Security;

/// <summary>
/// Issue 17 §3 (R4): every public method of every <c>Session*</c> façade, found by reflection, is called for every record
/// kind seller S1 owns (deal, client, task, activity, invoice, process, rule instance, call, notification, journal entry,
/// report snapshot) as S2 (same team), S3 (other team), H1 (S1's head), H2 (the other head), an administrator and the
/// administrator of another tenant. A caller the README does not let see S1's records must be denied or get them
/// filtered out; one who may see them must see them. A new façade method without a case here fails the first test.
/// </summary>
public sealed class VisibilityMatrixTests
{
    private readonly ITestOutputHelper _output;

    public VisibilityMatrixTests(ITestOutputHelper output) => _output = output;

    public enum Caller
    {
        SameTeamSeller,
        OtherTeamSeller,
        OwnHead,
        OtherHead,
        Admin,
        OtherTenant,
    }

    /// <summary>Read: may return S1's records; Command: acts on them; Config: administrators only; Public: tenant-wide data everyone reads.</summary>
    private enum PathKind
    {
        Read,
        Command,
        Config,
        Public,
    }

    [Fact]
    public void Every_public_method_of_every_session_facade_has_a_visibility_case()
    {
        var methods = FacadeMethods().ToHashSet(StringComparer.Ordinal);
        var cases = Cases().Select(c => c.Method).ToHashSet(StringComparer.Ordinal);

        Assert.True(methods.Count > 70, $"only {methods.Count} façade methods found: the reflection misses some");
        Assert.Empty(methods.Except(cases).Order(StringComparer.Ordinal));   // a new method needs its case below
        Assert.Empty(cases.Except(methods).Order(StringComparer.Ordinal));   // a case of a method that is gone
    }

    [Theory]
    [InlineData(Caller.SameTeamSeller)]
    [InlineData(Caller.OtherTeamSeller)]
    [InlineData(Caller.OwnHead)]
    [InlineData(Caller.OtherHead)]
    [InlineData(Caller.Admin)]
    [InlineData(Caller.OtherTenant)]
    public async Task Every_path_denies_filters_or_shows_S1s_records_as_the_readme_promises(Caller caller)
    {
        await using var w = await World.BuildAsync();
        var session = w.SessionOf(caller);
        var problems = new List<string>();
        int paths = 0, leaks = 0, denied = 0, shown = 0;

        // Reads first, then commands, then configuration (an administrator's commands change the world they run in).
        foreach (var path in Cases().OrderBy(c => c.Kind switch { PathKind.Public => 0, PathKind.Read => 1, PathKind.Command => 2, _ => 3 }).ThenBy(c => c.Order))
        {
            paths++;
            var visible = path.VisibleTo.Contains(caller);
            object? result = null;
            Exception? error = null;
            try
            {
                result = await path.Call(w, session);
            }
            catch (Exception e) when (e is CrmException or ArgumentException)
            {
                error = e;
            }

            var where = $"{path.Method} [{path.Record}] as {caller}";
            if (error is not null && !(error is CrmException))
            {
                problems.Add($"{where}: {error.GetType().Name} {error.Message}");
                continue;
            }

            if (error is not null && !visible && w.Secrets.FirstOrDefault(s => error.Message.Contains(s, StringComparison.Ordinal) && !path.Given.Contains(s)) is { } said)
            {
                leaks++;
                problems.Add($"LEAK {where}: the error names '{said}': {error.Message}");
                continue;
            }

            switch (path.Kind)
            {
                case PathKind.Public:
                    break;
                case PathKind.Config:
                    if (caller is Caller.Admin or Caller.OtherTenant)
                    {
                        break;
                    }

                    if (error is AccessDeniedException)
                    {
                        denied++;
                    }
                    else
                    {
                        leaks++;
                        problems.Add($"LEAK {where}: configuration {(error is null ? "succeeded" : "failed with " + error.GetType().Name + " instead of AccessDeniedException")}");
                    }

                    break;
                case PathKind.Read:
                    var shows = error is null && path.Shows(w, result);
                    if (shows && !visible)
                    {
                        leaks++;
                        problems.Add($"LEAK {where}: S1's {path.Record} is in the result");
                    }
                    else if (!shows && visible && path.VisibleMustShow)
                    {
                        problems.Add($"HIDDEN {where}: may see S1's {path.Record} but got {(error is null ? "nothing" : error.GetType().Name + ": " + error.Message)}");
                    }
                    else if (shows)
                    {
                        shown++;
                    }
                    else
                    {
                        denied++;
                    }

                    break;
                case PathKind.Command:
                    if (error is null && !visible && path.Leaked(w, result))
                    {
                        leaks++;
                        problems.Add($"LEAK {where}: the command on S1's {path.Record} succeeded");
                    }
                    else if (error is null)
                    {
                        shown++;
                    }
                    else
                    {
                        denied++;
                    }

                    break;
            }
        }

        var summary = $"{caller}: {paths} paths tried, {leaks} leaks, {denied} denied or filtered, {shown} shown or allowed";
        _output.WriteLine(summary);
        Console.WriteLine("[visibility-matrix] " + summary);
        Assert.True(problems.Count == 0, summary + Environment.NewLine + string.Join(Environment.NewLine, problems));
    }

    [Theory]
    [InlineData(Caller.SameTeamSeller)]
    [InlineData(Caller.OtherTeamSeller)]
    [InlineData(Caller.OwnHead)]
    [InlineData(Caller.OtherHead)]
    [InlineData(Caller.Admin)]
    [InlineData(Caller.OtherTenant)]
    public async Task The_call_pop_up_shows_S1s_client_only_to_those_who_see_it_or_took_the_call(Caller caller)
    {
        await using var w = await World.BuildAsync();
        var session = w.SessionOf(caller);
        var card = async () => await w.K.Kernel.Telephony.GetClientCardAsync(session.Tenant, w.Client.Id, session.User);

        if (caller is Caller.OwnHead or Caller.Admin)
        {
            var shown = await card();
            Assert.Equal(w.Deal.Id, Assert.Single(shown.OpenDeals).Id);
        }
        else
        {
            await Assert.ThrowsAsync<EntityNotFoundException>(card);
        }

        // Once the caller answers a call from S1's client, they see who is calling, and nothing more.
        if (caller is Caller.SameTeamSeller or Caller.OtherTeamSeller or Caller.OtherHead)
        {
            await w.K.Kernel.Telephony.HandleAsync(w.K.Tenant, new CallEvent("to-" + session.User, CallEventKind.Answered, CallDirection.Inbound, World.Phone, session.User.Value, Start));
            var shown = await card();
            Assert.Equal(("Secret Client S1", Seller1), (shown.Client.Name, shown.Client.Owner));
            Assert.Empty(shown.OpenDeals);
            Assert.Empty(shown.LastActivities);
        }
    }

    /// <summary>Each public method of each façade type that <see cref="CrmSession"/> exposes, as Type.Method(Parameter types).</summary>
    private static IEnumerable<string> FacadeMethods()
    {
        foreach (var facade in typeof(CrmSession).GetProperties(BindingFlags.Public | BindingFlags.Instance)
                     .Select(p => p.PropertyType).Where(t => t.Name.StartsWith("Session", StringComparison.Ordinal)).Distinct())
        {
            foreach (var method in facade.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly).Where(m => !m.IsSpecialName))
            {
                yield return Key(facade, method.Name, method.GetParameters().Select(p => p.ParameterType).Where(t => t != typeof(CancellationToken)).ToArray());
            }
        }
    }

    private static string Key(Type facade, string method, params Type[] parameters) =>
        $"{facade.Name}.{method}({string.Join(",", parameters.Select(Name))})";

    private static string Name(Type t) => t.IsGenericType
        ? $"{t.Name[..t.Name.IndexOf('`', StringComparison.Ordinal)]}<{string.Join(",", t.GetGenericArguments().Select(Name))}>"
        : t.Name;

    private sealed record PathCase(string Method, PathKind Kind, string Record, Func<World, CrmSession, Task<object?>> Call)
    {
        public IReadOnlySet<Caller> VisibleTo { get; init; } = new HashSet<Caller> { Caller.OwnHead, Caller.Admin };

        /// <summary>Whether a caller who may see the record must find it in the result (false where the path shows it only in some states).</summary>
        public bool VisibleMustShow { get; init; } = true;

        public Func<World, object?, bool> Shows { get; init; } = (w, r) => w.Mentions(r);

        /// <summary>Whether a command that succeeded for a caller who may not see S1's record reached it (by default: it succeeded at all).</summary>
        public Func<World, object?, bool> Leaked { get; init; } = (_, _) => true;

        /// <summary>Secrets the caller passed in, which an error may repeat.</summary>
        public IReadOnlySet<string> Given { get; init; } = new HashSet<string>();

        public int Order { get; init; }
    }

    private static async Task<object?> Box<T>(Task<T> task) => await task;

    private static async Task<object?> Done(Task task)
    {
        await task;
        return null;
    }

    private static readonly IReadOnlySet<Caller> Nobody = new HashSet<Caller>();

    private static IEnumerable<PathCase> Cases()
    {
        var deals = typeof(SessionDeals);
        var usd = Money.Of(1m, "USD");
        PathCase R(Type t, string m, Type[] p, string record, Func<World, CrmSession, Task<object?>> call) => new(Key(t, m, p), PathKind.Read, record, call);
        PathCase C(Type t, string m, Type[] p, string record, Func<World, CrmSession, Task<object?>> call) => new(Key(t, m, p), PathKind.Command, record, call);
        PathCase G(Type t, string m, Type[] p, Func<World, CrmSession, Task<object?>> call) => new(Key(t, m, p), PathKind.Config, "configuration", call);
        PathCase P(Type t, string m, Type[] p, Func<World, CrmSession, Task<object?>> call) => new(Key(t, m, p), PathKind.Public, "tenant data", call);

        // Deals
        yield return C(deals, "OpenAsync", [typeof(NewDeal)], "client", (w, s) => Box(s.Deals.OpenAsync(new NewDeal(w.Client.Id, Sales, usd))));
        yield return R(deals, "GetAsync", [typeof(DealId)], "deal", (w, s) => Box(s.Deals.GetAsync(w.Deal.Id)));
        yield return R(deals, "ListAsync", [typeof(DealQuery)], "deal", (w, s) => Box(s.Deals.ListAsync(new DealQuery())));
        yield return R(deals, "ListAsync", [typeof(DealQuery)], "deal (by client)", (w, s) => Box(s.Deals.ListAsync(new DealQuery { Client = w.Client.Id, Owner = Seller1 })));
        yield return R(deals, "GetBoardAsync", [typeof(PipelineId), typeof(KanbanQuery)], "deal", (w, s) => Box(s.Deals.GetBoardAsync(Sales)));
        yield return C(deals, "MoveAsync", [typeof(DealId), typeof(StageId), typeof(long?)], "deal", (w, s) => Box(s.Deals.MoveAsync(w.Deal.Id, Proposal)));
        yield return C(deals, "AchieveGoalAsync", [typeof(DealId), typeof(GoalId), typeof(long?)], "deal", (w, s) => Box(s.Deals.AchieveGoalAsync(w.Deal.Id, new GoalId("contacted"))));
        yield return C(deals, "AssignAsync", [typeof(DealId), typeof(UserId), typeof(long?)], "deal", (w, s) => Box(s.Deals.AssignAsync(w.Deal.Id, Seller2))) with { Order = 9 };
        yield return C(deals, "SetFieldAsync", [typeof(DealId), typeof(string), typeof(string), typeof(long?)], "deal", (w, s) => Box(s.Deals.SetFieldAsync(w.Deal.Id, "x", "y")));
        yield return C(deals, "RaiseSignalAsync", [typeof(DealId), typeof(string)], "deal", (w, s) => Box(s.Deals.RaiseSignalAsync(w.Deal.Id, "Signed")));
        yield return C(deals, "SetClassifierAsync", [typeof(DealId), typeof(string), typeof(string), typeof(long?)], "deal", (w, s) => Box(s.Deals.SetClassifierAsync(w.Deal.Id, "tier", "gold")));
        yield return C(deals, "SetLinesAsync", [typeof(DealId), typeof(IReadOnlyList<Crm.Abstractions.Events.DealLine>), typeof(long?)], "deal",
            (w, s) => Box(s.Deals.SetLinesAsync(w.Deal.Id, [new Crm.Abstractions.Events.DealLine("desk", 1m, Money.Of(549.50m, "USD"))])));
        yield return C(deals, "SetAmountAsync", [typeof(DealId), typeof(Money), typeof(long?)], "deal", (w, s) => Box(s.Deals.SetAmountAsync(w.Deal.Id, usd)));
        yield return C(deals, "SetWinProbabilityAsync", [typeof(DealId), typeof(decimal?), typeof(long?)], "deal", (w, s) => Box(s.Deals.SetWinProbabilityAsync(w.Deal.Id, 0.5m)));
        yield return C(deals, "SetExpectedCloseAsync", [typeof(DealId), typeof(LocalDate?), typeof(long?)], "deal", (w, s) => Box(s.Deals.SetExpectedCloseAsync(w.Deal.Id, new LocalDate(2026, 6, 1))));

        // Clients
        var clients = typeof(SessionClients);
        yield return C(clients, "RegisterAsync", [typeof(NewClient), typeof(DuplicateHandling)], "client (taken phone)",
            (w, s) => Box(s.Clients.RegisterAsync(new NewClient("Probe") { Contacts = [new ClientContact(null, World.Phone, null)] })))
            with { Given = new HashSet<string> { World.Phone }, Leaked = (w, r) => r is Client c && c.Id == w.Client.Id };
        yield return C(clients, "RegisterAsync", [typeof(NewClient), typeof(DuplicateHandling)], "client (merge)",
            (w, s) => Box(s.Clients.RegisterAsync(new NewClient("Probe") { Contacts = [new ClientContact(null, World.Phone, "probe@example.com")] }, DuplicateHandling.Merge)))
            with { Given = new HashSet<string> { World.Phone }, Leaked = (w, r) => r is Client c && c.Id == w.Client.Id };
        yield return R(clients, "GetAsync", [typeof(ClientId)], "client", (w, s) => Box(s.Clients.GetAsync(w.Client.Id)));
        yield return R(clients, "FindByPhoneAsync", [typeof(string)], "client", (w, s) => Box(s.Clients.FindByPhoneAsync(World.Phone))) with { Given = new HashSet<string> { World.Phone }, Shows = (w, r) => r is Client };
        yield return R(clients, "ListAsync", [], "client", (w, s) => Box(s.Clients.ListAsync()));
        yield return C(clients, "SetClassifierAsync", [typeof(ClientId), typeof(string), typeof(string), typeof(long?)], "client", (w, s) => Box(s.Clients.SetClassifierAsync(w.Client.Id, "tier", "gold")));

        // Tasks
        var tasks = typeof(SessionTasks);
        yield return C(tasks, "CreateAsync", [typeof(NewWorkTask)], "client", (w, s) => Box(s.Tasks.CreateAsync(new NewWorkTask("Probe", Start) { Client = w.Client.Id })));
        yield return C(tasks, "CreateAsync", [typeof(NewWorkTask)], "deal", (w, s) => Box(s.Tasks.CreateAsync(new NewWorkTask("Probe", Start) { Deal = w.Deal.Id })));
        yield return C(tasks, "CompleteAsync", [typeof(WorkTaskId)], "task", (w, s) => Box(s.Tasks.CompleteAsync(w.TaskRecord.Id))) with { Order = 8 };
        yield return C(tasks, "CancelAsync", [typeof(WorkTaskId), typeof(string)], "task", (w, s) => Box(s.Tasks.CancelAsync(w.TaskRecord.Id, "probe"))) with { Order = 8 };
        yield return C(tasks, "ReassignAsync", [typeof(WorkTaskId), typeof(UserId)], "task", (w, s) => Box(s.Tasks.ReassignAsync(w.TaskRecord.Id, Seller2)));
        yield return R(tasks, "ListAsync", [typeof(bool), typeof(UserId?)], "task", (w, s) => Box(s.Tasks.ListAsync(false)));
        yield return R(tasks, "ListAsync", [typeof(bool), typeof(UserId?)], "task (by assignee)", (w, s) => Box(s.Tasks.ListAsync(false, Seller1)));
        yield return R(tasks, "GetWorkloadAsync", [typeof(LocalDate?), typeof(int)], "task", (w, s) => Box(s.Tasks.GetWorkloadAsync(new LocalDate(2026, 3, 2))))
            with { Shows = (w, r) => r is Workload l && l.Rows.Any(x => x.User == Seller1) };

        // Activities
        var activities = typeof(SessionActivities);
        yield return C(activities, "LogAsync", [typeof(NewActivity)], "client", (w, s) => Box(s.Activities.LogAsync(new NewActivity(ActivityKind.Note, w.Client.Id, "probe"))));
        yield return C(activities, "LogAsync", [typeof(NewActivity)], "deal", (w, s) => Box(s.Activities.LogAsync(new NewActivity(ActivityKind.Note, w.Client.Id, "probe") { Deal = w.Deal.Id })));
        yield return R(activities, "ListForClientAsync", [typeof(ClientId)], "activity", (w, s) => Box(s.Activities.ListForClientAsync(w.Client.Id)));

        // Organization (users are readable by everyone; changes are the administrators')
        var org = typeof(SessionOrganization);
        yield return G(org, "RegisterUserAsync", [typeof(NewUser)], (w, s) => Box(s.Organization.RegisterUserAsync(new NewUser(new UserId("probe"), "Probe"))));
        yield return G(org, "DefineTeamAsync", [typeof(TeamId), typeof(string), typeof(UserId)], (w, s) => Box(s.Organization.DefineTeamAsync(North, "Taken over", Head2)));
        yield return G(org, "DeactivateUserAsync", [typeof(UserId), typeof(UserId)], (w, s) => Box(s.Organization.DeactivateUserAsync(Seller1, Seller2))) with { Order = 99 };
        yield return P(org, "GetUserAsync", [typeof(UserId)], (w, s) => Box(s.Organization.GetUserAsync(Seller1)));
        yield return P(org, "ListUsersAsync", [], (w, s) => Box(s.Organization.ListUsersAsync()));
        yield return G(org, "DefinePermissionSetAsync", [typeof(string), typeof(string), typeof(IReadOnlyCollection<Permission>)],
            (w, s) => Box(s.Organization.DefinePermissionSetAsync("all-seeing", "All-seeing", [Permission.SeeAllTeams, Permission.Write])));
        yield return G(org, "AssignPermissionSetAsync", [typeof(UserId), typeof(string)], (w, s) => Box(s.Organization.AssignPermissionSetAsync(Seller2, "auditor")));
        yield return P(org, "ListPermissionSetsAsync", [], (w, s) => Box(s.Organization.ListPermissionSetsAsync()));

        // Pipelines
        var pipelines = typeof(Crm.Kernel.Pipelines.SessionPipelines);
        yield return G(pipelines, "DefineAsync", [typeof(PipelineDefinition)], (w, s) => Box(s.Pipelines.DefineAsync(SalesPipeline())));
        yield return P(pipelines, "GetAsync", [typeof(PipelineId)], (w, s) => Box(s.Pipelines.GetAsync(Sales)));
        yield return P(pipelines, "ListAsync", [], (w, s) => Box(s.Pipelines.ListAsync()));

        // Journal: entries of S1's records (deal, client, call, notification…) only for those who see S1's records.
        yield return R(typeof(Crm.Kernel.Journal.SessionJournal), "ListAsync", [typeof(long), typeof(int)], "journal entry", (w, s) => Box(s.Journal.ListAsync(0, 100_000)))
            with { Shows = (w, r) => r is IEnumerable<Crm.Kernel.Journal.JournalEntry> entries && entries.Any(e => w.StreamIds.Contains(e.StreamId) || w.Mentions(e.Event)) };

        // Processes
        var processes = typeof(SessionProcesses);
        yield return C(processes, "OpenAsync", [typeof(string), typeof(DealId), typeof(IReadOnlyDictionary<string, UserId>), typeof(IReadOnlyDictionary<string, string>)], "deal",
            (w, s) => Box(s.Processes.OpenAsync("delivery", w.Deal.Id)));
        yield return C(processes, "FireAsync", [typeof(ProcessId), typeof(string), typeof(long?)], "process", (w, s) => Box(s.Processes.FireAsync(w.Process.Id, "startPicking")));
        yield return R(processes, "ListPermittedTriggersAsync", [typeof(ProcessId)], "process", (w, s) => Box(s.Processes.ListPermittedTriggersAsync(w.Process.Id)))
            with { Shows = (w, r) => r is IReadOnlyList<string> { Count: > 0 } };
        yield return C(processes, "CancelAsync", [typeof(ProcessId), typeof(string)], "process", (w, s) => Box(s.Processes.CancelAsync(w.Process.Id, "probe"))) with { Order = 8 };
        yield return R(processes, "GetAsync", [typeof(ProcessId)], "process", (w, s) => Box(s.Processes.GetAsync(w.Process.Id)));
        yield return R(processes, "ListForDealAsync", [typeof(DealId)], "process", (w, s) => Box(s.Processes.ListForDealAsync(w.Deal.Id)));
        yield return R(processes, "ListStalledAsync", [], "process", (w, s) => Box(s.Processes.ListStalledAsync()));
        yield return C(processes, "CancelManyAsync", [typeof(IReadOnlyCollection<ProcessId>), typeof(string)], "process", (w, s) => Box(s.Processes.CancelManyAsync([w.Process.Id], "probe"))) with { Order = 8 };

        // Inbox: a notification is its recipient's alone, whoever else sees S1's records.
        var inbox = typeof(SessionInbox);
        yield return R(inbox, "ListAsync", [typeof(bool)], "notification", (w, s) => Box(s.Inbox.ListAsync())) with { VisibleTo = Nobody };
        yield return C(inbox, "MarkReadAsync", [typeof(NotificationId)], "notification", (w, s) => Box(s.Inbox.MarkReadAsync(w.Notification.Id))) with { VisibleTo = Nobody };

        // Rules
        var rules = typeof(SessionRules);
        yield return G(rules, "DefineAsync", [typeof(RuleDefinition)], (w, s) => Box(s.Rules.DefineAsync(SmallDealRule.Create() with { Version = 2 })));
        yield return G(rules, "SetEnabledAsync", [typeof(RuleId), typeof(bool)], (w, s) => Done(s.Rules.SetEnabledAsync(new RuleId(SmallDealRule.Id), true)));
        yield return P(rules, "ListAsync", [], (w, s) => Box(s.Rules.ListAsync()));
        yield return R(rules, "DryRunAsync", [typeof(RuleDefinition)], "deal", (w, s) => Box(s.Rules.DryRunAsync(SmallDealRule.Create())));
        yield return R(rules, "DryRunAsync", [typeof(RuleId)], "deal", (w, s) => Box(s.Rules.DryRunAsync(new RuleId(SmallDealRule.Id))));
        yield return C(rules, "RequestExceptionAsync", [typeof(DealId), typeof(string), typeof(string)], "rule instance", (w, s) => Box(s.Rules.RequestExceptionAsync(w.Deal.Id, "custom delivery")));
        yield return C(rules, "DecideExceptionAsync", [typeof(string), typeof(bool)], "rule instance", (w, s) => Box(s.Rules.DecideExceptionAsync(w.RuleInstance.Id, true)));
        yield return R(rules, "ListInstancesAsync", [typeof(DealId)], "rule instance", (w, s) => Box(s.Rules.ListInstancesAsync(w.Deal.Id)));
        yield return R(rules, "GetComplianceAsync", [typeof(RuleId), typeof(decimal)], "rule instance", (w, s) => Box(s.Rules.GetComplianceAsync(new RuleId(SmallDealRule.Id))));

        // Products and invoices
        yield return G(typeof(SessionProducts), "DefineAsync", [typeof(string), typeof(string), typeof(Money), typeof(decimal)], (w, s) => Box(s.Products.DefineAsync("probe", "Probe", usd)));
        yield return P(typeof(SessionProducts), "ListAsync", [], (w, s) => Box(s.Products.ListAsync()));
        var invoices = typeof(SessionInvoices);
        yield return C(invoices, "CreateAsync", [typeof(DealId), typeof(IReadOnlyList<InvoiceLineRequest>)], "deal", (w, s) => Box(s.Invoices.CreateAsync(w.Deal.Id, [new InvoiceLineRequest("desk", 1m)])));
        yield return C(invoices, "CreateFromDealAsync", [typeof(DealId)], "deal", (w, s) => Box(s.Invoices.CreateFromDealAsync(w.Deal.Id))) with { Order = 1 };
        yield return C(invoices, "IssueAsync", [typeof(InvoiceId)], "invoice", (w, s) => Box(s.Invoices.IssueAsync(w.Invoice.Id)));
        yield return C(invoices, "MarkPaidAsync", [typeof(InvoiceId)], "invoice", (w, s) => Box(s.Invoices.MarkPaidAsync(w.Invoice.Id))) with { VisibleMustShow = false };
        yield return C(invoices, "CancelAsync", [typeof(InvoiceId), typeof(string)], "invoice", (w, s) => Box(s.Invoices.CancelAsync(w.Invoice.Id, "probe"))) with { Order = 8 };
        yield return R(invoices, "GetAsync", [typeof(InvoiceId)], "invoice", (w, s) => Box(s.Invoices.GetAsync(w.Invoice.Id)));
        yield return R(invoices, "ListForDealAsync", [typeof(DealId)], "invoice", (w, s) => Box(s.Invoices.ListForDealAsync(w.Deal.Id)));
        yield return R(invoices, "RenderHtmlAsync", [typeof(InvoiceId)], "invoice", (w, s) => Box(s.Invoices.RenderHtmlAsync(w.Invoice.Id)));
        yield return C(invoices, "RequestDiscountApprovalAsync", [typeof(InvoiceId), typeof(string)], "invoice", (w, s) => Box(s.Invoices.RequestDiscountApprovalAsync(w.Invoice.Id, "probe")));
        yield return R(invoices, "GetDiscountReportAsync", [], "discount", (w, s) => Box(s.Invoices.GetDiscountReportAsync())) with { VisibleMustShow = false, Shows = (w, r) => r is IReadOnlyList<Crm.Kernel.Discounts.DiscountReportRow> rows && rows.Any(x => x.Seller == Seller1) };
        yield return C(invoices, "DecideDiscountAsync", [typeof(InvoiceId), typeof(bool), typeof(string)], "invoice", (w, s) => Box(s.Invoices.DecideDiscountAsync(w.Invoice.Id, true, null)));

        // Stock (issue 20): administrators move stock; everyone reads it.
        var stock = typeof(Crm.Kernel.Stock.SessionStock);
        yield return G(stock, "DefineWarehouseAsync", [typeof(string), typeof(string)], (w, s) => Box(s.Stock.DefineWarehouseAsync("probe", "Probe")));
        yield return P(stock, "ListWarehousesAsync", [], (w, s) => Box(s.Stock.ListWarehousesAsync()));
        yield return P(stock, "GetAsync", [typeof(string)], (w, s) => Box(s.Stock.GetAsync("desk")));
        yield return G(stock, "LogReceiptAsync", [typeof(string), typeof(string), typeof(decimal)], (w, s) => Box(s.Stock.LogReceiptAsync("desk", "main", 1m)));
        yield return G(stock, "LogReturnAsync", [typeof(string), typeof(string), typeof(decimal), typeof(string)], (w, s) => Box(s.Stock.LogReturnAsync("desk", "main", 1m, "probe")));
        yield return G(stock, "LogWriteOffAsync", [typeof(string), typeof(string), typeof(decimal), typeof(string)], (w, s) => Box(s.Stock.LogWriteOffAsync("desk", "main", 1m, "probe")));
        yield return G(stock, "LogTransferAsync", [typeof(string), typeof(string), typeof(string), typeof(decimal)], (w, s) => Box(s.Stock.LogTransferAsync("desk", "main", "probe", 1m)));
        yield return G(stock, "DefineReorderPointAsync", [typeof(string), typeof(string), typeof(decimal), typeof(decimal), typeof(ClientId), typeof(UserId)], (w, s) => Done(s.Stock.DefineReorderPointAsync("desk", "main", 1m, 5m, w.Client.Id, Admin)));
        yield return P(stock, "ListPurchaseOrdersAsync", [typeof(string)], (w, s) => Box(s.Stock.ListPurchaseOrdersAsync("desk")));
        yield return P(stock, "GetReportAsync", [typeof(Instant), typeof(Instant)], (w, s) => Box(s.Stock.GetReportAsync(Start, Start + Duration.FromDays(1))));
        yield return R(stock, "GetForDealAsync", [typeof(DealId)], "deal", (w, s) => Box(s.Stock.GetForDealAsync(w.Deal.Id))) with { Shows = (_, r) => r is IReadOnlyList<Crm.Kernel.Stock.DealLineStock> { Count: > 0 } };
        yield return G(stock, "ReceivePurchaseOrderAsync", [typeof(string)], (w, s) => Box(s.Stock.ReceivePurchaseOrderAsync("po-probe")));

        // Telephony: dialling S1's client; the call S1 took is covered by the journal above and the pop-up test.
        yield return C(typeof(SessionTelephony), "DialAsync", [typeof(ClientId), typeof(string)], "client", (w, s) => Box(s.Telephony.DialAsync(w.Client.Id)));

        // Webhooks, import, methodologies: administrators only, or tenant-wide catalogues.
        var webhooks = typeof(Crm.Kernel.Integration.SessionWebhooks);
        yield return G(webhooks, "RegisterAsync", [typeof(Uri), typeof(string), typeof(IReadOnlyList<string>)],
            (w, s) => Box(s.Webhooks.RegisterAsync(new Uri("https://example.com/hook"), "0123456789abcdef0123", ["DealOpened"])));
        yield return G(webhooks, "DeactivateAsync", [typeof(WebhookSubscriptionId)], (w, s) => Done(s.Webhooks.DeactivateAsync(w.Webhook.Id)));
        yield return G(webhooks, "ListAsync", [], (w, s) => Box(s.Webhooks.ListAsync()));
        var import = typeof(SessionImport);
        yield return G(import, "ImportDealAsync", [typeof(ImportedDeal)], (w, s) => Box(s.Import.ImportDealAsync(new ImportedDeal(new DealId("imported-probe"), w.Client.Id, Sales, Seller1, usd,
            [new ImportedStay(Lead, Start - Duration.FromDays(3), null)]))));
        yield return G(import, "DefineTargetAsync", [typeof(UserId), typeof(LocalDate), typeof(LocalDate), typeof(Money)],
            (w, s) => Box(s.Import.DefineTargetAsync(Seller1, new LocalDate(2026, 1, 1), new LocalDate(2026, 3, 31), usd)));
        yield return R(typeof(SessionReports), "GetSnapshotAsync", [typeof(PipelineId?)], "report snapshot", (w, s) => Box(s.Reports.GetSnapshotAsync()))
            with { Shows = (w, r) => r is ReportData d && (d.DealIds.Contains(w.Deal.Id.Value) || d.Clients.Contains(w.Client.Id.Value)) };
        yield return R(typeof(SessionReports), "GetProductAbcAsync", [typeof(ProductAbcMeasure), typeof(string), typeof(decimal), typeof(decimal)], "product ABC",
            (w, s) => Box(s.Reports.GetProductAbcAsync(ProductAbcMeasure.Revenue, "USD")))
            with { Shows = (w, r) => r is ProductAbcReport { Products.Count: > 0 }, VisibleMustShow = false };
        var methodologies = typeof(Crm.Kernel.Methodologies.SessionMethodologies);
        yield return G(methodologies, "ListAsync", [], (w, s) => Box(s.Methodologies.ListAsync()));
        yield return G(methodologies, "InstallAsync", [typeof(string)], (w, s) => Box(s.Methodologies.InstallAsync("no-such-methodology")));
        yield return P(methodologies, "ListClassifiersAsync", [], (w, s) => Box(s.Methodologies.ListClassifiersAsync()));
        yield return P(methodologies, "ListReportPresetsAsync", [], (w, s) => Box(s.Methodologies.ListReportPresetsAsync()));
        yield return P(methodologies, "ListInstalledAsync", [], (w, s) => Box(s.Methodologies.ListInstalledAsync()));

        // Issue 19: the tenant's own configuration; administrators define it (a user their own hours), everyone reads the calendar and templates.
        var configuration = typeof(Crm.Kernel.Configuration.SessionConfiguration);
        const string probe = """
            { "id": "probe", "version": 1, "name": "Probe", "roles": [ "sales" ], "initialStep": "a",
              "steps": [ { "name": "a", "transitions": [ { "trigger": "done", "target": "b" } ] }, { "name": "b", "final": true } ] }
            """;
        yield return G(configuration, "DefineProcessTemplateAsync", [typeof(string)], (w, s) => Box(s.Configuration.DefineProcessTemplateAsync(probe)));
        yield return G(configuration, "InstallProcessTemplateAsync", [typeof(string)], (w, s) => Box(s.Configuration.InstallProcessTemplateAsync("delivery")));
        yield return G(configuration, "DefineCalendarAsync", [typeof(Crm.Kernel.Scheduling.BusinessCalendarOptions), typeof(int)],
            (w, s) => Box(s.Configuration.DefineCalendarAsync(new Crm.Kernel.Scheduling.BusinessCalendarOptions(), 1)));
        yield return G(configuration, "DefineUserCalendarAsync", [typeof(UserId), typeof(string), typeof(LocalTime?), typeof(LocalTime?), typeof(int)],
            (w, s) => Box(s.Configuration.DefineUserCalendarAsync(Seller1, "Asia/Tokyo", null, null, 1)));
        yield return G(configuration, "DefineOrderIntakeAsync", [typeof(string), typeof(string), typeof(int)], (w, s) => Done(s.Configuration.DefineOrderIntakeAsync(null, "Probe", 1)));
        yield return G(configuration, "ListAsync", [], (w, s) => Box(s.Configuration.ListAsync()));
        yield return P(configuration, "ListProcessTemplatesAsync", [], (w, s) => Box(s.Configuration.ListProcessTemplatesAsync()));
        yield return P(configuration, "GetCalendarAsync", [], (w, s) => Box(s.Configuration.GetCalendarAsync()));
        yield return P(configuration, "GetUserCalendarAsync", [typeof(UserId)], (w, s) => Box(s.Configuration.GetUserCalendarAsync(Seller1)));
        var byOwner = new ReportDefinition("By owner", [Dimension.Owner], [Measure.Count], "USD");
        var calls = new KpiDefinition("calls", KpiMeasure.Calls, 1m);
        var year = new DateInterval(new LocalDate(2026, 1, 1), new LocalDate(2026, 12, 31));
        yield return G(configuration, "DefineReportDesignAsync", [typeof(ReportDefinition), typeof(int)], (w, s) => Done(s.Configuration.DefineReportDesignAsync(byOwner with { Name = "probe" }, 1)));
        yield return G(configuration, "DefineKpiPlanAsync", [typeof(string), typeof(IReadOnlyList<KpiDefinition>), typeof(IReadOnlyList<KpiPlan>), typeof(int)],
            (w, s) => Done(s.Configuration.DefineKpiPlanAsync("probe", [calls], [new KpiPlan(Seller2, "calls", year, 10m)], 1)));
        yield return P(configuration, "ListReportDesignsAsync", [], (w, s) => Box(s.Configuration.ListReportDesignsAsync()));
        yield return G(configuration, "DefineStockPolicyAsync", [typeof(bool), typeof(string), typeof(int)], (w, s) => Done(s.Configuration.DefineStockPolicyAsync(false, null, 1)));
        yield return G(configuration, "DefineDiscountPolicyAsync", [typeof(IReadOnlyList<Crm.Kernel.Discounts.DiscountThreshold>), typeof(int)],
            (w, s) => Done(s.Configuration.DefineDiscountPolicyAsync([new(10m, [Crm.Abstractions.Automation.Recipient.OwnerHead])], 1)));
        yield return G(configuration, "DefineNotificationPolicyAsync", [typeof(LocalTime), typeof(NotificationPolicy?), typeof(int)],
            (w, s) => Done(s.Configuration.DefineNotificationPolicyAsync(new LocalTime(8, 0), null, 1)));
        yield return R(configuration, "RunReportDesignAsync", [typeof(string), typeof(PipelineId?)], "deal", async (w, s) =>
        {
            var admin = w.K.Session(Admin).Configuration;
            if (!(await admin.ListReportDesignsAsync()).Any(d => d.Name == byOwner.Name))
            {
                await admin.DefineReportDesignAsync(byOwner, 1);
            }

            return await s.Configuration.RunReportDesignAsync(byOwner.Name);
        }) with { Shows = (w, r) => r is IReadOnlyList<DesignedRow> rows && rows.Any(x => x.Keys.Contains(Seller1.Value)) };
        yield return R(configuration, "RunKpiPlanAsync", [typeof(string), typeof(ReportFilter)], "deal", async (w, s) =>
        {
            var admin = w.K.Session(Admin).Configuration;
            if (!(await admin.ListAsync()).Any(x => x.Kind == "kpi-plan" && x.Key == "q"))
            {
                await admin.DefineKpiPlanAsync("q", [calls], [new KpiPlan(Seller1, "calls", year, 10m)], 1);
            }

            return await s.Configuration.RunKpiPlanAsync("q");
        }) with { Shows = (w, r) => r is IReadOnlyList<KpiRow> rows && rows.Any(x => x.Employee == Seller1.Value) };
    }

    /// <summary>A tenant where S1 owns one record of every kind, and a second tenant.</summary>
    private sealed class World : IAsyncDisposable
    {
        public const string Phone = "+4791111111";
        private static readonly TenantId Other = new("other");

        private World(TestKernel kernel) => K = kernel;

        public TestKernel K { get; }
        public Client Client { get; private set; } = null!;
        public Deal Deal { get; private set; } = null!;
        public WorkTask TaskRecord { get; private set; } = null!;
        public Activity Activity { get; private set; } = null!;
        public Invoice Invoice { get; private set; } = null!;
        public ProcessInstance Process { get; private set; } = null!;
        public RuleInstance RuleInstance { get; private set; } = null!;
        public PhoneCall Call { get; private set; } = null!;
        public Crm.Kernel.Notifications.Notification Notification { get; private set; } = null!;
        public Crm.Kernel.Integration.WebhookSubscription Webhook { get; private set; } = null!;

        /// <summary>Texts only S1's records hold: no one who may not see them may read them anywhere.</summary>
        public IReadOnlyList<string> Secrets { get; } = ["Secret Client S1", "secret@s1.example", Phone, "S1 secret deal", "S1 secret task", "S1 secret note"];

        /// <summary>The ids of S1's records (journal stream ids).</summary>
        public HashSet<string> StreamIds { get; } = new(StringComparer.Ordinal);

        public static async Task<World> BuildAsync()
        {
            var k = await WithOrganizationAsync(configure: s => s.AddSingleton<ITelephonyGateway>(new Gateway()));
            var w = new World(k);
            var admin = k.Session(Admin);
            await admin.Rules.DefineAsync(SmallDealRule.Create());
            await admin.Products.DefineAsync("desk", "Standing desk", Money.Of(549.50m, "USD"));
            await admin.Stock.DefineWarehouseAsync("main", "Main warehouse");
            await admin.Stock.LogReceiptAsync("desk", "main", 100m);
            w.Webhook = await admin.Webhooks.RegisterAsync(new Uri("https://example.com/crm"), "0123456789abcdef0123", ["DealOpened"]);
            var s1 = k.Session(Seller1);
            w.Client = await s1.Clients.RegisterAsync(new NewClient("Secret Client S1") { Contacts = [new ClientContact("Petra", "+47 91 11 11 11", "secret@s1.example")] });
            w.Deal = await s1.Deals.OpenAsync(new NewDeal(w.Client.Id, Sales, Money.Of(5_000m, "USD")) { Title = "S1 secret deal" });
            w.TaskRecord = await s1.Tasks.CreateAsync(new NewWorkTask("S1 secret task", Start + Duration.FromDays(1)) { Deal = w.Deal.Id, Client = w.Client.Id });
            w.Activity = await s1.Activities.LogAsync(new NewActivity(ActivityKind.Note, w.Client.Id, "S1 secret note") { Deal = w.Deal.Id });
            w.Deal = await s1.Deals.SetLinesAsync(w.Deal.Id, [new Crm.Abstractions.Events.DealLine("desk", 1m, Money.Of(5_000m, "USD"))]);
            w.Invoice = await s1.Invoices.CreateAsync(w.Deal.Id, [new InvoiceLineRequest("desk", 1m)]);
            w.Process = await s1.Processes.OpenAsync("delivery", w.Deal.Id);
            w.RuleInstance = Assert.Single(await s1.Rules.ListInstancesAsync(w.Deal.Id));
            w.Call = (await k.Kernel.Telephony.HandleAsync(k.Tenant, new CallEvent("s1-call", CallEventKind.Answered, CallDirection.Inbound, Phone, "s1", Start))).Call;
            w.Notification = (await s1.Inbox.ListAsync())[0];
            Assert.Equal(w.Client.Id, w.Call.Client);
            w.StreamIds.UnionWith([w.Client.Id.Value, w.Deal.Id.Value, w.TaskRecord.Id.Value, w.Activity.Id.Value, w.Invoice.Id.Value, w.Process.Id.Value, w.RuleInstance.Id, w.Call.Id, w.Notification.Id.Value]);
            await k.Kernel.InitializeTenantAsync(Other, Admin, "Admin of another tenant");

            // Three days on, the delivery process is past its first step's deadline: stalled, so ListStalledAsync shows it.
            k.Clock.Advance(Duration.FromDays(3));
            return w;
        }

        public CrmSession SessionOf(Caller caller) => caller switch
        {
            Caller.SameTeamSeller => K.Session(Seller2),
            Caller.OtherTeamSeller => K.Session(Seller3),
            Caller.OwnHead => K.Session(Head1),
            Caller.OtherHead => K.Session(Head2),
            Caller.Admin => K.Session(Admin),
            _ => K.Kernel.OpenSession(Other, Admin),
        };

        /// <summary>Whether a result holds any of S1's records: one of their ids or one of their secret texts.</summary>
        public bool Mentions(object? result)
        {
            if (result is null)
            {
                return false;
            }

            string text;
            try
            {
                text = result as string ?? JsonSerializer.Serialize(result, result.GetType(), CrmJson.Options);
            }
            catch (Exception e) when (e is NotSupportedException or InvalidOperationException or JsonException)
            {
                text = result.ToString() ?? "";
            }

            return StreamIds.Any(id => text.Contains(id, StringComparison.Ordinal)) || Secrets.Any(s => text.Contains(s, StringComparison.Ordinal));
        }

        public ValueTask DisposeAsync() => K.DisposeAsync();

        private sealed class Gateway : ITelephonyGateway
        {
            private int _calls;

            public Task<string> DialAsync(UserId from, string e164Number, CancellationToken cancellationToken = default) =>
                Task.FromResult("out-" + Interlocked.Increment(ref _calls));
        }
    }
}
