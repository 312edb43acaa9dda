using Crm.Abstractions.Plugins;
using Crm.Abstractions.Ports;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Crm.Mail.MailKit;

/// <summary>Registers the MailKit SMTP sender.</summary>
public static class MailKitExtensions
{
    /// <summary>
    /// Sends the kernel's mail over SMTP with MailKit: registers <see cref="MailKitMailSender"/> as the
    /// <see cref="IMailSender"/> singleton. Options are validated here, so a bad configuration fails at start-up.
    /// Calling it again replaces the earlier registration (the last call wins; one sender is registered).
    /// </summary>
    /// <example><code>
    /// services.AddCrmKernel(crm => crm.UseSqlite("Data Source=crm.db").AddMailKit(o =>
    /// {
    ///     o.Host = "smtp.example.com";
    ///     o.From = "crm@example.com";
    ///     o.UserName = "crm";
    ///     o.Password = secret;
    /// }));
    /// </code></example>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="configure"/> is null.</exception>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public static TBuilder AddMailKit<TBuilder>(this TBuilder builder, Action<MailKitOptions> configure)
        where TBuilder : ICrmKernelBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        AddMailKit(builder.Services, configure);
        return builder;
    }

    internal static void AddMailKit(IServiceCollection services, Action<MailKitOptions> configure)
    {
        var options = new MailKitOptions();
        configure(options);
        var sender = new MailKitMailSender(options);
        services.RemoveAll<IMailSender>();
        services.RemoveAll<MailKitMailSender>();
        services.AddSingleton(sender);
        services.AddSingleton<IMailSender>(sp => sp.GetRequiredService<MailKitMailSender>());
    }
}

/// <summary>
/// The plug-in entry point for hosts that load adapters from <c>plugins/Crm.Mail.MailKit/</c>. It registers nothing
/// unless <see cref="Configure"/> is set: SMTP needs at least a host and a sender address, and a plug-in found on disk
/// must not replace a mail sender the host chose. Hosts that reference the package directly call
/// <see cref="MailKitExtensions.AddMailKit{TBuilder}"/> instead.
/// </summary>
/// <example><code>
/// new MailKitPlugin { Options = o => { o.Host = "smtp.example.com"; o.From = "crm@example.com"; } }.Configure(context);
/// </code></example>
public sealed class MailKitPlugin : ICrmPlugin
{
    /// <summary>Configures the SMTP options; <see langword="null"/> (the default) makes the plug-in a no-op.</summary>
    public Action<MailKitOptions>? Options { get; init; }

    /// <summary>Registers <see cref="MailKitMailSender"/> as the <see cref="IMailSender"/> when <see cref="Options"/> is set.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="context"/> is null.</exception>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public void Configure(ICrmPluginContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (Options is not null)
        {
            MailKitExtensions.AddMailKit(context.Services, Options);
        }
    }
}
