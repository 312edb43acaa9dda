using BenchmarkDotNet.Attributes;
using Crm.Abstractions;
using Crm.Abstractions.Plugins;
using Crm.Kernel.Hosting;
using Crm.Kernel.Rules;
using Crm.Kernel.Storage;
using Crm.Methodology.Dealer;
using Crm.Methodology.Saas;
using Crm.Methodology.Spin;
using Crm.Methodology.Tenders;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Benchmarks.Methodologies;

/// <summary>
/// Installing the four shipped methodologies into a fresh tenant (in-memory store, so the kernel's own cost shows): the
/// JSON was read and checked when the kernel started (see <see cref="MethodologyStartBenchmarks"/>); install compares
/// with the tenant's pipelines and rules and writes one commit per methodology. The baseline defines the same pipelines
/// and rules by hand through the session, one commit each (what an administrator scripts without methodologies). Both
/// set a new tenant up first. A second install that changes nothing is measured too.
/// </summary>
[MemoryDiagnoser]
public class MethodologyInstallBenchmarks
{
    private static readonly SalesMethodology[] Shipped = [SpinPlugin.Methodology, TendersPlugin.Methodology, DealerPlugin.Methodology, SaasPlugin.Methodology];
    private static readonly UserId Admin = new("admin");
    private ServiceProvider _provider = null!;
    private CrmKernel _kernel = null!;
    private RuleDefinition[] _rules = null!;
    private int _tenant;

    [GlobalSetup]
    public void Setup()
    {
        var services = new ServiceCollection();
        services.AddCrmKernel(crm =>
        {
            crm.UseInMemoryStore();
            crm.AddPlugin(new SpinPlugin()).AddPlugin(new TendersPlugin()).AddPlugin(new DealerPlugin()).AddPlugin(new SaasPlugin());
        });
        _provider = services.BuildServiceProvider();
        _kernel = _provider.GetRequiredService<CrmKernel>();
        _rules = [.. Shipped.SelectMany(m => m.Rules).Select(d => RuleJson.Load(d.Json))];
        var installed = Tenant("installed").GetAwaiter().GetResult();
        foreach (var methodology in Shipped)
        {
            _kernel.OpenSession(installed, Admin).Methodologies.InstallAsync(methodology.Id).GetAwaiter().GetResult();
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _provider.Dispose();

    [Benchmark(Baseline = true, Description = "define 4 pipelines + 9 rules by hand")]
    public async Task DefineByHand()
    {
        var admin = _kernel.OpenSession(await Tenant("t" + _tenant++), Admin);
        foreach (var pipeline in Shipped.SelectMany(m => m.Pipelines))
        {
            await admin.Pipelines.DefineAsync(pipeline);
        }

        foreach (var rule in _rules)
        {
            await admin.Rules.DefineAsync(rule);
        }
    }

    [Benchmark(Description = "install 4 methodologies")]
    public async Task Install()
    {
        var admin = _kernel.OpenSession(await Tenant("t" + _tenant++), Admin);
        foreach (var methodology in Shipped)
        {
            await admin.Methodologies.InstallAsync(methodology.Id);
        }
    }

    [Benchmark(Description = "install 4 again (no change)")]
    public async Task Reinstall()
    {
        var admin = _kernel.OpenSession(new TenantId("installed"), Admin);
        foreach (var methodology in Shipped)
        {
            await admin.Methodologies.InstallAsync(methodology.Id);
        }
    }

    private async Task<TenantId> Tenant(string id)
    {
        var tenant = new TenantId(id);
        await _kernel.InitializeTenantAsync(tenant, Admin, "Ada Admin");
        return tenant;
    }
}

/// <summary>
/// Building a kernel with the four methodology plug-ins added (their 4 templates, 9 rules and 8 presets read from JSON
/// and checked, templates registered) against building one without plug-ins.
/// </summary>
[MemoryDiagnoser]
public class MethodologyStartBenchmarks
{
    [Benchmark(Baseline = true, Description = "kernel without plug-ins")]
    public void Bare() => Build(_ => { });

    [Benchmark(Description = "kernel with 4 methodology plug-ins")]
    public void WithMethodologies() =>
        Build(crm => crm.AddPlugin(new SpinPlugin()).AddPlugin(new TendersPlugin()).AddPlugin(new DealerPlugin()).AddPlugin(new SaasPlugin()));

    private static void Build(Action<CrmKernelBuilder> plugins)
    {
        var services = new ServiceCollection();
        services.AddCrmKernel(crm =>
        {
            crm.UseInMemoryStore();
            plugins(crm);
        });
        // Disposed on both sides alike (the kernel owns an HTTP client for webhooks).
        using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<CrmKernel>();
    }
}
