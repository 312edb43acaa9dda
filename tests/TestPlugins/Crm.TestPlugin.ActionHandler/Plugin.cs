using System.Globalization;
using Crm.Abstractions.Automation;
using Crm.Abstractions.Plugins;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.TestPlugin.ActionHandler;

/// <summary>A folder-loaded plug-in that supplies an action: "stamp-file" appends a line about the deal to a file.</summary>
public sealed class TestPlugin : ICrmPlugin
{
    public void Configure(ICrmPluginContext context) => context.Services.AddSingleton<IActionHandler, StampFile>();
}

public sealed class StampFile : IActionHandler
{
    public string Name => "stamp-file";

    public async Task ExecuteAsync(ActionContext context, CancellationToken cancellationToken)
    {
        var line = string.Create(CultureInfo.InvariantCulture,
            $"{context.Tenant.Value}|{context.Source}|{context.Deal.Id.Value}|{context.Deal.Stage.Value}|{context.Deal.Amount.Amount} {context.Deal.Amount.Currency}|{context.Parameters["note"]}\n");
        await File.AppendAllTextAsync(context.Parameters["path"], line, cancellationToken).ConfigureAwait(false);
    }
}
