using Crm.Storage.PostgreSql;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Xunit;

namespace Crm.Storage.PostgreSql.Tests;

/// <summary>Issue 19: PostgreSQL store options come through IOptions and are validated when the host starts (no database needed).</summary>
public sealed class Issue19OptionsTests
{
    /// <summary>Guards: a bad schema name stops the host at start with a message naming the option, before any connection.</summary>
    [Fact]
    public async Task Issue19_bad_postgresql_options_fail_at_host_start_naming_the_option()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddCrmKernel(crm => crm.UsePostgreSql("Host=127.0.0.1;Port=1;Database=crm", o => o.Schema = "crm; DROP TABLE x"));
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.StartsWith("PostgreSqlStoreOptions.Schema must be a plain identifier", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Guards: the options may also come from configuration after UsePostgreSql; they are validated on start too.</summary>
    [Fact]
    public async Task Issue19_postgresql_options_configured_after_UsePostgreSql_are_validated_on_start()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddCrmKernel(crm => crm.UsePostgreSql("Host=127.0.0.1;Port=1;Database=crm"));
        builder.Services.Configure<PostgreSqlStoreOptions>(o => o.ConnectionString = "");
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.StartsWith("PostgreSqlStoreOptions.ConnectionString is required", error.Message, StringComparison.Ordinal);
    }
}
