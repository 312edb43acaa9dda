using Crm.Abstractions.Plugins;
using Crm.Abstractions.Ports;
using Crm.Abstractions.Storage;
using Crm.Kernel.Clients;
using Crm.Kernel.Hosting;
using Crm.Kernel.Integration;
using Crm.Kernel.Journal;
using Crm.Kernel.Methodologies;
using Crm.Kernel.Notifications;
using Crm.Kernel.Telephony;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
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
            AddParts(services);
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IUnitOfWorkReactor, ProcessReactor>());
            services.TryAddSingleton(sp => new RuleEngine(sp.GetServices<RuleDefinition>(), sp.GetRequiredService<ProcessEngine>(),
                sp.GetService<ILoggerFactory>()?.CreateLogger("Crm.Kernel.Rules")));
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IUnitOfWorkReactor, RuleEngine>(sp => sp.GetRequiredService<RuleEngine>()));
            services.TryAddEnumerable(ServiceDescriptor.Singleton<ITimerHandler, RuleActionTimerHandler>());
            services.TryAddEnumerable(ServiceDescriptor.Singleton<ITimerHandler, RuleDeadlineHandler>());
            services.TryAddEnumerable(ServiceDescriptor.Singleton<ITimerHandler, DigestTimerHandler>());
            services.TryAddEnumerable(ServiceDescriptor.Singleton<ITimerHandler, ProcessDeadlineHandler>());
            services.TryAddEnumerable(ServiceDescriptor.Singleton<ITimerHandler, ProcessReminderHandler>());
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IUnitOfWorkReactor, TaskTimers>());
            services.TryAddEnumerable(ServiceDescriptor.Singleton<ITimerHandler, TaskReminderHandler>());
            services.TryAddEnumerable(ServiceDescriptor.Singleton<ITimerHandler, Crm.Kernel.Discounts.DiscountReminderHandler>());
            services.TryAddEnumerable(ServiceDescriptor.Singleton<ITimerHandler, Crm.Kernel.Discounts.DiscountEscalationHandler>());
            services.TryAddEnumerable(ServiceDescriptor.Singleton<ITimerHandler, TaskOverdueHandler>());
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, CrmSchedulerService>());
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, CrmDeliveryService>());
        }

        configure?.Invoke(builder);
        return builder;
    }

    /// <summary>
    /// The kernel's parts, each built by the container with what it uses; <see cref="CrmKernel"/> only receives them.
    /// Options are read once, after validation (<c>ValidateOnStart</c>, and on first resolution outside a host).
    /// </summary>
    private static void AddParts(IServiceCollection services)
    {
        services.TryAddSingleton(sp => new KernelContext(
            sp.GetService<ICrmStore>() ?? throw new InvalidOperationException(
                "No store is registered for the CRM kernel. Choose one in AddCrmKernel: crm.UseSqlite(\"Data Source=crm.db\") for a file, or crm.UseInMemoryStore() for tests."),
            sp.GetRequiredService<IClock>(),
            sp.GetRequiredService<AggregateCache>(),
            sp.GetServices<IUnitOfWorkReactor>(),
            Options(sp).MaxReactionDepth));
        services.TryAddSingleton(sp => new AggregateCache(Options(sp).AggregateCacheSize));
        services.TryAddSingleton(sp => new ContactNormalizer(Options(sp).DefaultPhoneRegion));
        services.TryAddSingleton(sp =>
        {
            var options = Options(sp);
            var calendar = new BusinessCalendar(options.Calendar);
            if (options.Calendar.TimeZone == DateTimeZone.Utc)
            {
                calendar = calendar.WithTimeZone(options.TimeZone);
            }

            return new ProcessEngine(new ProcessMachine(sp.GetRequiredService<IClock>()), calendar, ProcessTemplates.All.Concat(sp.GetServices<ProcessTemplate>()),
                sp.GetServices<Crm.Abstractions.Automation.IActionHandler>());
        });
        services.TryAddSingleton(sp => new MethodologyCatalog(sp.GetServices<SalesMethodology>(), sp.GetRequiredService<ProcessEngine>()));
        services.TryAddSingleton(sp => new KernelParts(sp.GetRequiredService<ProcessEngine>(), sp.GetRequiredService<RuleEngine>(), sp.GetRequiredService<MethodologyCatalog>(),
            sp.GetRequiredService<ContactNormalizer>(), Options(sp), sp.GetService<ITelephonyGateway>()));
        services.TryAddSingleton(sp => new SessionFactory(sp.GetRequiredService<KernelContext>(), sp.GetRequiredService<KernelParts>()));
        services.TryAddSingleton(sp => new ConsumerLeases(sp.GetRequiredService<IOptions<CrmKernelOptions>>()));
        services.TryAddSingleton(sp => new CrmScheduler(sp.GetRequiredService<KernelContext>(), sp.GetServices<ITimerHandler>(), sp.GetRequiredService<IOptions<CrmKernelOptions>>()));
        services.TryAddSingleton(sp => new TelephonyIntake(sp.GetRequiredService<KernelContext>(), sp.GetRequiredService<SessionFactory>()));
        services.TryAddSingleton(sp => new OrderIntake(sp.GetRequiredService<KernelContext>(), sp.GetRequiredService<KernelParts>()));
        services.TryAddSingleton(sp => new WebhookDelivery(sp.GetRequiredService<KernelContext>(), sp.GetRequiredService<ConsumerLeases>(), Options(sp).Webhooks,
            new ClockTimeProvider(sp.GetRequiredService<IClock>())));
        services.TryAddSingleton(sp => new NotificationDelivery(sp.GetRequiredService<KernelContext>(), sp.GetRequiredService<ConsumerLeases>(),
            new RetrySchedule(Options(sp).NotificationRetry), sp.GetService<IMailSender>(), sp.GetServices<INotificationChannel>(),
            (sp.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance).CreateLogger<NotificationDelivery>()));
        services.TryAddSingleton(sp => new CrmKernel(sp.GetRequiredService<KernelContext>(), sp.GetRequiredService<SessionFactory>(), sp.GetRequiredService<CrmScheduler>(),
            sp.GetRequiredService<TelephonyIntake>(), sp.GetRequiredService<OrderIntake>(), sp.GetRequiredService<WebhookDelivery>(), sp.GetRequiredService<NotificationDelivery>()));
    }

    /// <summary>The kernel options, validated: outside a host (no <c>ValidateOnStart</c>) the first part built throws on bad options.</summary>
    private static CrmKernelOptions Options(IServiceProvider sp) => sp.GetRequiredService<IOptions<CrmKernelOptions>>().Value;

    private sealed class CrmKernelMarker;
}
