using Crm.Abstractions.Automation;
using Crm.Abstractions;
using Crm.Kernel.Hosting;
using Crm.Kernel.Organization;
using Crm.Kernel.Security;
using Crm.Kernel.Storage;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;
using NodaTime.Testing;

namespace Crm.Kernel.Tests;

/// <summary>A kernel on the in-memory store with a fake clock and a small sales organization.</summary>
public sealed class TestKernel : IAsyncDisposable
{
    public static readonly PipelineId Sales = new("sales");
    public static readonly StageId Unsorted = new("unsorted");
    public static readonly StageId Lead = new("lead");
    public static readonly StageId Qualified = new("qualified");
    public static readonly StageId Proposal = new("proposal");
    public static readonly StageId Negotiation = new("negotiation");
    public static readonly StageId Won = new("won");
    public static readonly StageId Lost = new("lost");

    public static readonly UserId Admin = new("admin");
    public static readonly UserId Head1 = new("h1");
    public static readonly UserId Head2 = new("h2");
    public static readonly UserId Seller1 = new("s1");
    public static readonly UserId Seller2 = new("s2");
    public static readonly UserId Seller3 = new("s3");
    public static readonly UserId Seller4 = new("s4");
    public static readonly TeamId North = new("north");
    public static readonly TeamId South = new("south");

    private readonly ServiceProvider? _provider;

    private TestKernel(ServiceProvider? provider, CrmKernel kernel, FakeClock clock, TenantId tenant)
    {
        _provider = provider;
        Clock = clock;
        Tenant = tenant;
        Kernel = kernel;
    }

    /// <summary>Wraps a kernel built elsewhere (e.g. by a host); disposing does not dispose it.</summary>
    public static TestKernel Wrap(CrmKernel kernel, FakeClock clock, string tenant = "acme") => new(null, kernel, clock, new TenantId(tenant));

    public CrmKernel Kernel { get; }

    public FakeClock Clock { get; }

    public TenantId Tenant { get; }

    public static Instant Start { get; } = Instant.FromUtc(2026, 3, 2, 9, 0);

    public static TestKernel Create(Action<IServiceCollection>? configure = null, string tenant = "acme", int maxDepth = 16)
    {
        var services = new ServiceCollection();
        var clock = new FakeClock(Start);
        services.AddSingleton<IClock>(clock);
        services.AddCrmKernel(crm => crm.UseInMemoryStore().Configure(o =>
        {
            o.DefaultPhoneRegion = "NO";
            o.MaxReactionDepth = maxDepth;
        }));
        configure?.Invoke(services);
        var provider = services.BuildServiceProvider();
        return new TestKernel(provider, provider.GetRequiredService<CrmKernel>(), clock, new TenantId(tenant));
    }

    public CrmSession Session(UserId user) => Kernel.OpenSession(Tenant, user);

    /// <summary>Admin, two teams (north: h1, s1, s2; south: h2, s3, s4) and the sales pipeline.</summary>
    public static async Task<TestKernel> WithOrganizationAsync(PipelineDefinition? pipeline = null, Action<IServiceCollection>? configure = null, int maxDepth = 16)
    {
        var kernel = Create(configure, maxDepth: maxDepth);
        await kernel.SetUpOrganizationAsync(pipeline);
        return kernel;
    }

    public async Task SetUpOrganizationAsync(PipelineDefinition? pipeline = null)
    {
        await Kernel.InitializeTenantAsync(Tenant, Admin, "Ada Admin");
        var org = Session(Admin).Organization;
        await org.RegisterUserAsync(new NewUser(Head1, "Hanna Head", CrmRole.Head));
        await org.RegisterUserAsync(new NewUser(Head2, "Hugo Head", CrmRole.Head));
        await org.DefineTeamAsync(North, "North", Head1);
        await org.DefineTeamAsync(South, "South", Head2);
        await org.RegisterUserAsync(new NewUser(Seller1, "Siri Seller", CrmRole.Seller) { Team = North, Email = "siri@example.com" });
        await org.RegisterUserAsync(new NewUser(Seller2, "Sven Seller", CrmRole.Seller) { Team = North });
        await org.RegisterUserAsync(new NewUser(Seller3, "Sara Seller", CrmRole.Seller) { Team = South });
        await org.RegisterUserAsync(new NewUser(Seller4, "Stig Seller", CrmRole.Seller) { Team = South });
        await Session(Admin).Pipelines.DefineAsync(pipeline ?? SalesPipeline());
    }

    public static PipelineDefinition SalesPipeline(params StageDefinition[] replace)
    {
        var stages = new List<StageDefinition>
        {
            new(Unsorted, "Unsorted") { IsUnsorted = true },
            new(Lead, "Lead") { WinProbability = 0.1m, Norm = Duration.FromDays(3) },
            new(Qualified, "Qualified") { WinProbability = 0.25m, RequiredFields = ["budget"] },
            new(Proposal, "Proposal") { WinProbability = 0.5m, Norm = Duration.FromDays(7) },
            new(Negotiation, "Negotiation")
            {
                WinProbability = 0.7m,
                Manager = Head1,
                Goals =
                [
                    new GoalDefinition(new GoalId("requirements-received"), "Requirements received",
                        [new CreateTask("Prepare the specification", BusinessDuration.Calendar(Duration.FromDays(2))), new SetField("client.classifier.status", "engaged")]),
                    new GoalDefinition(new GoalId("purchase-prepared"), "Purchase being prepared",
                        [new MoveToStage(Won), new SetField("client.classifier.status", "customer"), new Notify("Won!", "The deal is won.", Recipient.OwnerHead)]),
                    new GoalDefinition(new GoalId("refused"), "Refused", [new MoveToStage(Lost)]),
                    new GoalDefinition(new GoalId("postponed"), "Decision postponed",
                        [new SetField("deal.field.postponed", "yes"), new CreateTask("Call back", BusinessDuration.Calendar(Duration.FromDays(30)))]),
                ],
            },
            new(Won, "Won", StageKind.Won) { WinProbability = 1m },
            new(Lost, "Lost", StageKind.Lost) { WinProbability = 0m },
        };
        foreach (var stage in replace)
        {
            var index = stages.FindIndex(s => s.Id == stage.Id);
            stages[index] = stage;
        }

        // Lead's goal: qualify by hand-over to the stage manager or round-robin.
        stages[1] = stages[1] with
        {
            Goals = stages[1].Goals.Count > 0 ? stages[1].Goals :
            [
                new GoalDefinition(new GoalId("contacted"), "Contacted", [new SetField("deal.field.budget", "unknown"), new MoveToStage(Qualified)]),
                new GoalDefinition(new GoalId("route-north"), "Route to North", [new AssignOwner(Recipient.Team(North))]),
                new GoalDefinition(new GoalId("escalate"), "Escalate", [new AssignOwner(Recipient.StageManager(Negotiation)), new StartProcess("delivery")]),
            ],
        };
        return new PipelineDefinition(Sales, "Sales", stages);
    }

    public async Task<Crm.Kernel.Clients.Client> ClientAsync(UserId owner, string name, string? phone = null, string? email = null) =>
        await Session(owner).Clients.RegisterAsync(new Crm.Kernel.Clients.NewClient(name)
        {
            Contacts = [new ClientContact(name + " contact", phone, email)],
            Region = "North",
            City = "Oslo",
            Industry = "Retail",
        });

    public async Task<Crm.Kernel.Deals.Deal> DealAsync(UserId owner, decimal amount = 1000m, string currency = "USD", string? clientName = null)
    {
        var client = await ClientAsync(owner, clientName ?? "Client of " + owner + " " + Guid.NewGuid().ToString("N")[..6]);
        return await Session(owner).Deals.OpenAsync(new Crm.Kernel.Deals.NewDeal(client.Id, Sales, Money.Of(amount, currency)));
    }

    public async Task<long> JournalHeadAsync()
    {
        var entries = await Session(Admin).Journal.ListAsync(0, 100_000);
        return entries.Count == 0 ? 0 : entries[^1].Position;
    }

    public async ValueTask DisposeAsync()
    {
        if (_provider is not null)
        {
            await _provider.DisposeAsync();
        }
    }
}
