// The Quickstart: on an embedded SQLite file, with a fake clock and a fixed seed, a B2B sales team works a funnel with
// goals, processes, rules, calls and invoices for one quarter, while a second tenant (a car showroom) sells through the
// Dealer methodology loaded from the plug-in folder; then the board, the journal and the reports are printed and an
// HTML report is written. Options: --db <path> (default quickstart.db), --seed <n> (default 42), --keep (reuse an
// existing file instead of starting fresh).
using Crm.Abstractions;
using Crm.Kernel.Hosting;
using Crm.Samples.Quickstart;
using Crm.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;
using NodaTime.Testing;

var options = QuickstartOptions.Parse(args);
if (!options.Keep)
{
    foreach (var suffix in new[] { "", "-wal", "-shm" })
    {
        File.Delete(options.DatabasePath + suffix);
    }
}

var clock = new FakeClock(Instant.FromUtc(2026, 1, 5, 8, 0));
var services = new ServiceCollection();
services.AddSingleton<IClock>(clock);
services.AddCrmKernel(crm => crm
    .UseSqlite($"Data Source={options.DatabasePath}")
    .AddPluginsFrom(Path.Combine(AppContext.BaseDirectory, "plugins"))
    .Configure(o => { o.DefaultPhoneRegion = "NO"; o.DefaultTimeZone = "Europe/Oslo"; }));

await using var provider = services.BuildServiceProvider();
var kernel = provider.GetRequiredService<CrmKernel>();
Console.WriteLine($"Crm.Kernel Quickstart — SQLite file {Path.GetFullPath(options.DatabasePath)}, seed {options.Seed}");
var plugins = provider.GetRequiredService<Crm.Kernel.Plugins.PluginLoadReport>();
Console.WriteLine($"Plug-ins: {plugins.Loaded.Count} loaded, {plugins.Skipped.Count} skipped");
foreach (var line in plugins.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries))
{
    Console.WriteLine("  " + line);
}

var simulation = new SalesSimulation(kernel, clock, options.Seed);
var showroom = new ShowroomSimulation(kernel, options.Seed);   // a second tenant on a methodology plug-in
await showroom.SetUpAsync();
await simulation.RunAsync(days: 91, progress: day => Console.Write($"\r  simulating day {day,2}/91 (one quarter)"), showroom.DayAsync);
Console.WriteLine();
await Reports.PrintAsync(kernel, simulation.Tenant, Console.Out);
await DiscountDemo.RunAsync(kernel, simulation.Tenant, Console.Out);
await showroom.PrintAsync(Console.Out, simulation.Tenant, new UserId("admin"));
await StockStory.RunAsync(kernel, simulation.Tenant, Console.Out);
