using Crm.Abstractions.Events;
using Crm.Kernel.Storage;
using Crm.Kernel.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NodaTime;
using NodaTime.Testing;
using Xunit;
using static Crm.Kernel.Tests.TestKernel;

namespace Crm.Kernel.Tests.Scheduling;

public sealed class HostedSchedulerTests
{
    [Fact]
    public async Task The_hosted_service_fires_due_timers_in_real_time()
    {
        var clock = new FakeClock(Start);
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddSingleton<IClock>(clock);
        builder.Services.AddCrmKernel(crm => crm.UseInMemoryStore().Configure(o => o.SchedulerPollInterval = Duration.FromMilliseconds(20)));
        using var host = builder.Build();
        var kernel = host.Services.GetRequiredService<Crm.Kernel.Hosting.CrmKernel>();
        await using var k = TestKernelOver(kernel, clock);
        await k.SetUpOrganizationAsync();
        await k.Session(Seller1).Tasks.CreateAsync(new NewWorkTask("Call", Start + Duration.FromHours(3)));
        clock.Advance(Duration.FromHours(4));

        await host.StartAsync();
        var fired = false;
        for (var i = 0; i < 250 && !fired; i++)
        {
            await Task.Delay(20);
            fired = (await k.Session(Admin).Journal.ListAsync()).Any(e => e.Event is NotificationRequested { Subject: "Overdue: Call" });
        }

        await host.StopAsync();
        Assert.True(fired, "the hosted scheduler did not fire the overdue timer within 5 s");
    }

    private static TestKernel TestKernelOver(Crm.Kernel.Hosting.CrmKernel kernel, FakeClock clock) => TestKernel.Wrap(kernel, clock);
}
