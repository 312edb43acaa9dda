using Crm.Abstractions.Plugins;
using Crm.Abstractions.Ports;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Crm.Mail.MailKit;

/// <summary>Registers the MailKit SMTP sender.</summary>
public static class MailKitExtensions
{
    /// <summary>
    /// Sends the kernel's mail over SMTP with MailKit: registers <see cref="MailKitMailSender"/> as the
    /// <see cref="IMailSender"/> singleton, built from <c>IOptions&lt;MailKitOptions&gt;</c>. The options are validated when
    /// the host starts (<c>ValidateOnStart</c>), or when the sender is first resolved outside a host, with a message that
    /// names the option; more configuration (e.g. <c>services.Configure&lt;MailKitOptions&gt;(section)</c>) may follow this
    /// call. Calling it again replaces the earlier registration and configuration (the last call wins; one sender is registered).
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
        services.RemoveAll<IMailSender>();
        services.RemoveAll<MailKitMailSender>();
        services.RemoveAll<IConfigureOptions<MailKitOptions>>();
        services.AddOptions<MailKitOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MailKitOptions>, MailKitOptionsValidator>());
        services.AddSingleton(sp => new MailKitMailSender(sp.GetRequiredService<IOptions<MailKitOptions>>().Value));
        services.AddSingleton<IMailSender>(sp => sp.GetRequiredService<MailKitMailSender>());
    }
}

/// <summary>Validates <see cref="MailKitOptions"/> on start with <see cref="MailKitOptions.Validate"/>'s message, which names the option.</summary>
internal sealed class MailKitOptionsValidator : IValidateOptions<MailKitOptions>
{
    public ValidateOptionsResult Validate(string? name, MailKitOptions options)
    {
        try
        {
            options.Validate();
            return ValidateOptionsResult.Success;
        }
        catch (ArgumentException e)
        {
            return ValidateOptionsResult.Fail(e.Message);
        }
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
    public void Configure(ICrmPluginContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (Options is not null)
        {
            MailKitExtensions.AddMailKit(context.Services, Options);
        }
    }
}
