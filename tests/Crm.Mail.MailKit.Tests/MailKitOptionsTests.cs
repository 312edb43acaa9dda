using Crm.Abstractions.Plugins;
using Crm.Abstractions.Ports;
using Crm.Kernel.Hosting;
using Crm.Kernel.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Xunit;

namespace Crm.Mail.MailKit.Tests;

public sealed class MailKitOptionsTests
{
    private static MailKitOptions Valid() => new() { Host = "smtp.example.com", From = "crm@example.com" };

    public static TheoryData<string, Action<MailKitOptions>> Invalid => new()
    {
        { "MailKitOptions.Host", o => o.Host = " " },
        { "MailKitOptions.Port", o => o.Port = 0 },
        { "MailKitOptions.Port", o => o.Port = 70000 },
        { "MailKitOptions.Security", o => o.Security = (SmtpSecurity)42 },
        { "MailKitOptions.From", o => o.From = "" },
        { "MailKitOptions.From", o => o.From = "not an address" },
        { "MailKitOptions.Password", o => o.UserName = "crm" },
        { "MailKitOptions.UserName", o => o.Password = "secret" },
        { "MailKitOptions.UserName", o => { o.UserName = " "; o.Password = "secret"; } },
        { "MailKitOptions.Timeout", o => o.Timeout = TimeSpan.Zero },
        { "MailKitOptions.Timeout", o => o.Timeout = TimeSpan.FromHours(1) },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Bad_options_fail_with_a_message_naming_the_option(string option, Action<MailKitOptions> spoil)
    {
        var options = Valid();
        spoil(options);

        var error = Assert.Throws<ArgumentException>(() => new MailKitMailSender(options));
        Assert.StartsWith(option, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Defaults_are_submission_port_with_starttls_and_no_credentials()
    {
        var options = new MailKitOptions();

        Assert.Equal((587, SmtpSecurity.StartTls, null, null, TimeSpan.FromSeconds(30)), (options.Port, options.Security, options.UserName, options.Password, options.Timeout));
        Valid().Validate();
    }

    /// <summary>Issue 19: bad SMTP options no longer throw at registration; the host fails at start, naming the option.</summary>
    [Fact]
    public async Task Issue19_AddMailKit_bad_options_fail_at_host_start_naming_the_option()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddCrmKernel(crm => crm.UseInMemoryStore().AddMailKit(o => o.Host = "smtp.example.com"));
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.StartsWith("MailKitOptions.From is required", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Issue 19: SMTP options may also come from configuration after AddMailKit; they are validated on start too.</summary>
    [Fact]
    public async Task Issue19_MailKit_options_configured_after_AddMailKit_are_validated_on_start()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddCrmKernel(crm => crm.UseInMemoryStore().AddMailKit(o => { o.Host = "smtp.example.com"; o.From = "crm@example.com"; }));
        builder.Services.Configure<MailKitOptions>(o => o.Port = 0);
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.StartsWith("MailKitOptions.Port must be from 1 to 65535; got 0", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddMailKit_twice_registers_one_sender_and_the_last_call_wins()
    {
        var services = new ServiceCollection();
        services.AddCrmKernel(crm => crm.UseInMemoryStore()
            .AddMailKit(o => { o.Host = "first.example.com"; o.From = "crm@example.com"; })
            .AddMailKit(o => { o.Host = "second.example.com"; o.From = "crm@example.com"; }));

        Assert.Single(services, d => d.ServiceType == typeof(IMailSender));
        Assert.Single(services, d => d.ServiceType == typeof(MailKitMailSender));
        using var provider = services.BuildServiceProvider();
        Assert.Same(provider.GetRequiredService<MailKitMailSender>(), provider.GetRequiredService<IMailSender>());
    }

    private sealed class PluginContext : ICrmPluginContext
    {
        public IServiceCollection Services { get; } = new ServiceCollection();

        public void AddMethodology(SalesMethodology methodology) => throw new NotSupportedException();
    }

    [Fact]
    public void The_plugin_registers_nothing_unless_configured()
    {
        var unconfigured = new PluginContext();
        var configured = new PluginContext();

        new MailKitPlugin().Configure(unconfigured);
        new MailKitPlugin { Options = o => { o.Host = "smtp.example.com"; o.From = "crm@example.com"; } }.Configure(configured);

        Assert.Empty(unconfigured.Services);
        Assert.Single(configured.Services, d => d.ServiceType == typeof(IMailSender));
    }
}
