using System.Collections.Concurrent;
using Crm.Kernel.Hosting;
using Crm.Kernel.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Crm.Plugins.Tests;

public sealed class ReportLoggingTests
{
    internal sealed class ListLoggerProvider : ILoggerProvider
    {
        public ConcurrentQueue<(LogLevel Level, string Message)> Entries { get; } = new();

        public ILogger CreateLogger(string categoryName) => new ListLogger(this);

        public void Dispose()
        {
        }

        private sealed class ListLogger(ListLoggerProvider owner) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                owner.Entries.Enqueue((logLevel, formatter(state, exception)));
        }
    }

    [Fact]
    public async Task A_started_host_logs_each_loaded_plugin_and_warns_for_each_skipped_one()
    {
        var logs = new ListLoggerProvider();
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders().AddProvider(logs);
        builder.Services.AddCrmKernel(crm => crm.UseInMemoryStore().AddPluginsFrom(TestPluginFolder.With("Crm.TestPlugin.Good", "Crm.TestPlugin.IncompatibleRange")));
        using var host = builder.Build();

        await host.StartAsync();
        await host.StopAsync();

        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Information && e.Message.StartsWith("Plug-in test.good 1.2.3 loaded from ", StringComparison.Ordinal));
        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("Crm.TestPlugin.IncompatibleRange.dll skipped (IncompatibleAbstractions): needs Crm.Abstractions [2.0.0, 3.0.0)", StringComparison.Ordinal));
    }
}
