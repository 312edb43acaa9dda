using System.Collections.Concurrent;
using Crm.Abstractions;
using Crm.Kernel.Clients;
using Crm.Kernel.Deals;
using Crm.Kernel.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Xunit;
using Xunit.Abstractions;

namespace Crm.Storage.Conformance;

/// <summary>
/// Issue 18, R2, for every store: eight writers on one deal, split over two kernel hosts (two service providers with
/// their own stores, as two processes or application servers) on one database. Every conflict surfaces as
/// <see cref="ConcurrencyConflictException"/>, every success is in the journal, and the stored state equals a replay of
/// the journal. A store subclasses it with <see cref="Host"/>, which builds one host on the shared database.
/// </summary>
public abstract class EightWritersConformanceTests(ITestOutputHelper output)
{
    private static readonly TenantId Tenant = new("acme");
    private static readonly UserId Admin = new("admin");
    private static readonly PipelineId Sales = new("sales");

    /// <summary>A new kernel host (service provider) on the database every host of this test shares.</summary>
    protected abstract ServiceProvider Host();

    [Fact]
    public async Task Issue18_R2_eight_writers_on_one_deal_through_two_hosts_conflict_cleanly_and_replay_to_the_state()
    {
        await using var first = Host();
        await using var second = Host();
        var kernels = new[] { first.GetRequiredService<CrmKernel>(), second.GetRequiredService<CrmKernel>() };
        await kernels[0].InitializeTenantAsync(Tenant, Admin, "Ada");
        var admin = kernels[0].OpenSession(Tenant, Admin);
        await admin.Pipelines.DefineAsync(new PipelineDefinition(Sales, "Sales", [new StageDefinition(new StageId("lead"), "Lead"), new StageDefinition(new StageId("won"), "Won", StageKind.Won)]));
        var client = await admin.Clients.RegisterAsync(new NewClient("Client"));
        var deal = await admin.Deals.OpenAsync(new NewDeal(client.Id, Sales, Money.Of(100m, "NOK")));

        const int Writers = 8;
        const int Attempts = 40;
        var successes = new ConcurrentDictionary<int, int>();
        var lastWritten = new ConcurrentDictionary<int, string>();
        var conflicts = 0;
        var unexpected = new ConcurrentBag<Exception>();
        using var start = new Barrier(Writers);
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            var session = kernels[w % 2].OpenSession(Tenant, Admin);
            start.SignalAndWait();
            for (var k = 0; k < Attempts; k++)
            {
                var value = $"{w}-{k}";
                try
                {
                    // Half the writers state the version they read (optimistic UI), half leave it to the kernel.
                    long? expected = w % 4 < 2 ? (await session.Deals.GetAsync(deal.Id)).Version : null;
                    await (k % 3 == 0
                        ? session.Deals.SetAmountAsync(deal.Id, Money.Of(100m + (w * 1000) + k, "NOK"), expected)
                        : session.Deals.SetFieldAsync(deal.Id, "w" + w, value, expected));
                    successes.AddOrUpdate(w, 1, (_, n) => n + 1);
                    if (k % 3 != 0)
                    {
                        lastWritten[w] = value;
                    }
                }
                catch (ConcurrencyConflictException)
                {
                    Interlocked.Increment(ref conflicts);
                }
                catch (Exception e)
                {
                    unexpected.Add(e);
                }
            }
        })));

        Assert.Empty(unexpected);
        Assert.True(conflicts > 0, "eight writers on one deal produced no conflict: the test did not race");
        var final = await kernels[1].OpenSession(Tenant, Admin).Deals.GetAsync(deal.Id);
        Assert.Equal(deal.Version + successes.Values.Sum(), final.Version);
        foreach (var (writer, value) in lastWritten)
        {
            Assert.Equal(value, final.Fields["w" + writer]);
        }

        foreach (var kernel in kernels)
        {
            var verification = await kernel.VerifyJournalAsync(Tenant);
            Assert.True(verification.IsConsistent, string.Join("; ", verification.Differences));
            output.WriteLine($"R2: {Writers} writers x {Attempts} commands: {successes.Values.Sum()} committed, {conflicts} ConcurrencyConflictException, 0 other; journal replay of {verification.EventsReplayed} events equals the state");
        }
    }
}
