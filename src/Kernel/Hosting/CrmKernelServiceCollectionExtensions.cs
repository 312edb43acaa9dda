using Crm.Abstractions.Storage;
using Crm.Kernel.Hosting;
using Crm.Kernel.Processes;
using Crm.Kernel.Rules;
using Crm.Kernel.Processes.Templates;
using Crm.Kernel.Scheduling;
using Crm.Kernel.Storage;
using Crm.Kernel.Tasks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using NodaTime;

// Extension methods on IServiceCollection live in its namespace, as Microsoft.Extensions.* do.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the CRM kernel.</summary>
public static class CrmKernelServiceCollectionExtensions
{
    /// <summary>
    /// Adds the kernel (<see cref="CrmKernel"/>, options, the system clock unless an <see cref="IClock"/> is already
    /// registered). Calling it twice registers once; each call still runs <paramref name="configure"/>.
    /// A store must be chosen, e.g. <c>crm.UseSqlite("Data Source=crm.db")</c>.
    /// </summary>
    /// <example><code>
    /// services.AddCrmKernel(crm => crm.UseSqlite("Data Source=crm.db").Configure(o => o.DefaultPhoneRegion = "NO"));
    /// </code></example>
    public static CrmKernelBuilder AddCrmKernel(this IServiceCollection services, Action<CrmKernelBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var builder = new CrmKernelBuilder(services);
        if (!services.Any(d => d.ServiceType == typeof(CrmKernelMarker)))
        {
            services.AddSingleton<CrmKernelMarker>();
            services.AddOptions<CrmKernelOptions>().ValidateOnStart();
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CrmKernelOptions>, CrmKernelOptionsValidator>());
            services.TryAddSingleton<IClock>(SystemClock.Instance);
            services.TryAddSingleton(sp => new CrmKernel(
                sp.GetService<ICrmStore>() ?? throw new InvalidOperationException(
                    "No store is registered for the CRM kernel. Choose one in AddCrmKernel: crm.UseSqlite(\"Data Source=crm.db\") for a file, or crm.UseInMemoryStore() for tests."),
                sp.GetRequiredService<IClock>(),
                sp.GetRequiredService<IOptions<CrmKernelOptions>>(),
                sp.GetServices<IUnitOfWorkReactor>(),
                sp.GetServices<ITimerHandler>(),
                ProcessTemplates.All.Concat(sp.GetServices<ProcessTemplate>()),
                sp.GetService<Crm.Abstractions.Ports.IMailSender>(),
                sp.GetServices<Crm.Abstractions.Ports.INotificationChannel>(),
                sp.GetService<Microsoft.Extensions.Logging.ILoggerFactory>(),
                sp.GetService<Crm.Abstractions.Ports.ITelephonyGateway>(),
                sp.GetServices<Crm.Abstractions.Plugins.SalesMethodology>()));
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IUnitOfWorkReactor, ProcessReactor>());
            services.TryAddSingleton(sp => new RuleEngine(sp.GetServices<RuleDefinition>(), sp.GetServices<Crm.Abstractions.Automation.IActionHandler>(), sp.GetService<Microsoft.Extensions.Logging.ILoggerFactory>()?.CreateLogger("Crm.Kernel.Rules")));
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IUnitOfWorkReactor, RuleEngine>(sp => sp.GetRequiredService<RuleEngine>()));
            services.TryAddEnumerable(ServiceDescriptor.Singleton<ITimerHandler, RuleActionTimerHandler>());
            services.TryAddEnumerable(ServiceDescriptor.Singleton<ITimerHandler, RuleDeadlineHandler>());
            services.TryAddEnumerable(ServiceDescriptor.Singleton<ITimerHandler, DigestTimerHandler>());
            services.TryAddEnumerable(ServiceDescriptor.Singleton<ITimerHandler, ProcessDeadlineHandler>());
            services.TryAddEnumerable(ServiceDescriptor.Singleton<ITimerHandler, ProcessReminderHandler>());
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IUnitOfWorkReactor, TaskTimers>());
            services.TryAddEnumerable(ServiceDescriptor.Singleton<ITimerHandler, TaskReminderHandler>());
            services.TryAddEnumerable(ServiceDescriptor.Singleton<ITimerHandler, TaskOverdueHandler>());
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, CrmSchedulerService>());
        }

        configure?.Invoke(builder);
        return builder;
    }

    private sealed class CrmKernelMarker;
}
