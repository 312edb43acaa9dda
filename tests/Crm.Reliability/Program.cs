using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Crm.Abstractions;
using Crm.Kernel.Clients;
using Crm.Kernel.Deals;
using Crm.Kernel.Hosting;
using Crm.Kernel.Tasks;
using Crm.Abstractions.Storage;
using Crm.Storage.PostgreSql;
using Crm.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;
using NodaTime.Testing;

namespace Crm.Reliability;

/// <summary>
/// R1 of issue 18: runs the kernel in child processes on a real SQLite file, kills them with SIGKILL at random moments
/// and after each kill checks that every acknowledged command is there, the journal replays to the stored state, no
/// timer effect is lost or doubled and SQLite's integrity check passes. Rounds cycle through three variants: one worker;
/// one worker taking online backups; two workers on the same file, killed in turn.
/// <code>
/// dotnet run -c Release --project tests/Crm.Reliability -- --kills 200 [--seed 1] [--dir /tmp/r1] [--mode mix|single|backup|two]
///     [--postgres "Host=…;Database=…"]   (PostgreSQL instead of a SQLite file: a schema per 25 rounds, no backup variant)
/// dotnet Crm.Reliability.dll worker --db crm.db --id w1 [--backup backup.db] [--commands N] [--postgres …]   (what the harness starts)
/// </code>
/// Prints one line per round and a JSON summary last; exits 1 when a check failed.
/// </summary>
public static class Program
{
    internal static readonly TenantId Tenant = new("r1");
    internal static readonly UserId Admin = new("admin");
    internal static readonly PipelineId Sales = new("sales");
    internal static readonly Instant T0 = Instant.FromUtc(2026, 3, 2, 9, 0);
    /// <summary>Tasks are due two hours after T0; their reminder (one hour before) is due at T0 + 1 h.</summary>
    internal static readonly Duration TaskDue = Duration.FromHours(2);
    /// <summary>Workers fire what is due at T0 + 90 min: reminders, not the overdue escalations.</summary>
    internal static readonly Instant WorkerNow = T0 + Duration.FromMinutes(90);
    /// <summary>The checker fires at T0 + 100 min, after the workers' leases (1 min) ran out.</summary>
    internal static readonly Instant CatchUpNow = T0 + Duration.FromMinutes(100);

    public static async Task<int> Main(string[] args)
    {
        var options = Arguments.Parse(args);
        if (options.Worker)
        {
            return await Worker.RunAsync(options).ConfigureAwait(false);
        }

        if (options.Postgres is not null && options.Mode is "mix" or "backup")
        {
            options = options with { Mode = options.Mode == "mix" ? "mix2" : "single" }; // online backup is SQLite's
        }

        var summary = await new Harness(options).RunAsync().ConfigureAwait(false);
        Console.WriteLine(JsonSerializer.Serialize(summary));
        return summary.Ok ? 0 : 1;
    }

    /// <summary>A kernel on the SQLite file <paramref name="target"/>, or on the PostgreSQL schema of that name.</summary>
    internal static ServiceProvider Kernel(string target, string? postgres) => new ServiceCollection()
        .AddSingleton<IClock>(new FakeClock(T0))
        .AddCrmKernel(crm =>
        {
            if (postgres is null)
            {
                crm.UseSqlite($"Data Source={target}");
            }
            else
            {
                crm.UsePostgreSql(postgres, o => o.Schema = target);
            }
        })
        .Services.BuildServiceProvider();
}

internal sealed record Arguments(bool Worker, string Db, string Id, string? Backup, int Commands, int Kills, int Seed, string Dir, string Mode, int MaxKillMs, string? Postgres)
{
    public static Arguments Parse(string[] args)
    {
        var worker = args.Length > 0 && args[0] == "worker";
        string? Value(string name)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        }

        int Number(string name, int fallback) => Value(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
        return new Arguments(
            worker,
            Value("--db") ?? "crm.db",
            Value("--id") ?? "w",
            Value("--backup"),
            Number("--commands", int.MaxValue),
            Number("--kills", 10),
            Number("--seed", 1),
            Value("--dir") ?? Path.Combine(Path.GetTempPath(), "crm-reliability-" + Environment.ProcessId),
            Value("--mode") ?? "mix",
            Number("--max-kill-ms", 2000),
            Value("--postgres"));
    }
}

/// <summary>The child process: commands from four tasks, a scheduler and optionally a backup loop, until killed.</summary>
internal static class Worker
{
    private static readonly object Gate = new();

    /// <summary>Writes one acknowledgement line; " ." ends it so that a line cut by the kill is not taken for one.</summary>
    private static void Ack(string line)
    {
        lock (Gate)
        {
            Console.Out.Write(line + " .\n");
            Console.Out.Flush();
        }
    }

    public static async Task<int> RunAsync(Arguments options)
    {
        await using var provider = Program.Kernel(options.Db, options.Postgres);
        var kernel = provider.GetRequiredService<CrmKernel>();
        var session = kernel.OpenSession(Program.Tenant, Program.Admin);
        var remaining = options.Commands;
        Ack("READY");
        var loops = new List<Task>();
        for (var l = 0; l < 4; l++)
        {
            var loop = l;
            loops.Add(Task.Run(async () =>
            {
                for (var k = 0; ; k++)
                {
                    var name = $"{options.Id}-{loop}-{k}";
                    try
                    {
                        if (Interlocked.Decrement(ref remaining) < 0)
                        {
                            return;
                        }

                        var client = await session.Clients.RegisterAsync(new NewClient("c-" + name)).ConfigureAwait(false);
                        Ack($"ACK client {client.Id.Value}");
                        var deal = await session.Deals.OpenAsync(new NewDeal(client.Id, Program.Sales, Money.Of(100m + k, "NOK"))).ConfigureAwait(false);
                        Ack($"ACK deal {deal.Id.Value}");
                        var task = await session.Tasks.CreateAsync(new NewWorkTask("t-" + name, Program.T0 + Program.TaskDue) { Deal = deal.Id }).ConfigureAwait(false);
                        Ack($"ACK task {task.Id.Value} t-{name}");
                        for (var f = 1; f <= 2; f++)
                        {
                            await session.Deals.SetFieldAsync(deal.Id, "n", f.ToString(CultureInfo.InvariantCulture)).ConfigureAwait(false);
                            Ack($"ACK field {deal.Id.Value} {f}");
                        }
                    }
                    catch (Exception e)
                    {
                        Ack($"ERROR {name} {e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}");
                    }
                }
            }));
        }

        var stop = new CancellationTokenSource();
        var scheduler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    var run = await kernel.Scheduler.RunDueAsync(Program.WorkerNow).ConfigureAwait(false);
                    if (run.Fired > 0)
                    {
                        Ack($"FIRED {run.Fired}");
                    }
                }
                catch (Exception e)
                {
                    Ack($"ERROR scheduler {e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}");
                }

                await Task.Delay(10).ConfigureAwait(false);
            }
        });
        var backups = Task.Run(async () =>
        {
            if (options.Backup is not { } path)
            {
                return;
            }

            var store = provider.GetRequiredService<SqliteCrmStore>();
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await store.BackupAsync(path).ConfigureAwait(false);
                    Ack("BACKUP");
                }
                catch (Exception e)
                {
                    Ack($"ERROR backup {e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}");
                }
            }
        });

        await Task.WhenAll(loops).ConfigureAwait(false);
        await stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(scheduler, backups).ConfigureAwait(false);
        return 0;
    }
}

/// <summary>The counts of a run (the figures for docs/reliability.md).</summary>
internal sealed record Summary
{
    public string Store { get; set; } = "sqlite";
    public int Rounds { get; set; }
    public int Kills { get; set; }
    public int RoundsSingle { get; set; }
    public int RoundsBackup { get; set; }
    public int RoundsTwoWorkers { get; set; }
    public long CommandsAcknowledged { get; set; }
    public long Lost { get; set; }
    public long TasksChecked { get; set; }
    public long TimerEffectsLost { get; set; }
    public long TimerEffectsDoubled { get; set; }
    public long RemindersSeen { get; set; }
    public long TimersFiredByCheck { get; set; }
    public int JournalChecksInconsistent { get; set; }
    public long EventsReplayed { get; set; }
    public int IntegrityChecksFailed { get; set; }
    public int BackupsTaken { get; set; }
    public int BackupsVerified { get; set; }
    public int BackupsBad { get; set; }
    public int BackupTempFilesLeft { get; set; }
    public int WorkerErrors { get; set; }
    public List<string> Failures { get; } = [];
    public double Seconds { get; set; }
    public string Machine { get; set; } = $"{Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}";

    public bool Ok => Lost == 0 && TimerEffectsLost == 0 && TimerEffectsDoubled == 0 && JournalChecksInconsistent == 0 && IntegrityChecksFailed == 0 && BackupsBad == 0 && WorkerErrors == 0 && Failures.Count == 0;
}

/// <summary>The parent: starts workers, kills them, reopens the file and checks.</summary>
internal sealed class Harness(Arguments options)
{
    /// <summary>A fresh file every so many rounds keeps the journal replay of each check short.</summary>
    private const int RoundsPerFile = 25;
    private readonly Random _random = new(options.Seed);
    private readonly Summary _summary = new();
    private readonly Dictionary<string, int> _reminders = new(StringComparer.Ordinal);
    private readonly HashSet<string> _tasks = new(StringComparer.Ordinal);
    private long _journalCursor;
    private string _db = "";

    public async Task<Summary> RunAsync()
    {
        var watch = Stopwatch.StartNew();
        _summary.Store = options.Postgres is null ? "sqlite" : "postgresql";
        Directory.CreateDirectory(options.Dir);
        for (var round = 0; round < options.Kills && _summary.Failures.Count < 20; round++)
        {
            if (round % RoundsPerFile == 0)
            {
                await NewFileAsync(round / RoundsPerFile).ConfigureAwait(false);
            }

            var mode = options.Mode switch
            {
                "mix" => (round % 3) switch { 0 => "single", 1 => "backup", _ => "two" },
                "mix2" => round % 2 == 0 ? "single" : "two",
                _ => options.Mode,
            };
            await RoundAsync(round, mode).ConfigureAwait(false);
        }

        _summary.Seconds = Math.Round(watch.Elapsed.TotalSeconds, 1);
        try
        {
            Directory.Delete(options.Dir, recursive: true);
        }
        catch (IOException)
        {
            // (left for the temp cleaner)
        }

        return _summary;
    }

    private async Task NewFileAsync(int number)
    {
        _db = options.Postgres is null ? Path.Combine(options.Dir, $"crm-{number}.db") : $"r1_{options.Seed}_{Environment.ProcessId}_{number}";
        _reminders.Clear();
        _tasks.Clear();
        _journalCursor = 0;
        await using var provider = Program.Kernel(_db, options.Postgres);
        var kernel = provider.GetRequiredService<CrmKernel>();
        await kernel.InitializeTenantAsync(Program.Tenant, Program.Admin, "Ada").ConfigureAwait(false);
        await kernel.OpenSession(Program.Tenant, Program.Admin).Pipelines.DefineAsync(new PipelineDefinition(Program.Sales, "Sales",
        [
            new StageDefinition(new StageId("lead"), "Lead"),
            new StageDefinition(new StageId("won"), "Won", StageKind.Won),
        ])).ConfigureAwait(false);
    }

    private async Task RoundAsync(int round, string mode)
    {
        var backup = Path.Combine(options.Dir, "backup.db");
        var workers = new List<(Process Process, ConcurrentQueue<string> Lines, TaskCompletionSource Ready)>();
        var count = mode == "two" ? 2 : 1;
        for (var w = 0; w < count; w++)
        {
            workers.Add(Start($"r{round}{(char)('a' + w)}", mode == "backup" ? backup : null));
        }

        foreach (var worker in workers)
        {
            if (await Task.WhenAny(worker.Ready.Task, Task.Delay(TimeSpan.FromSeconds(120))).ConfigureAwait(false) != worker.Ready.Task)
            {
                _summary.Failures.Add($"round {round}: a worker did not start within 120 s");
            }
        }

        // Killed in turn: each worker at its own random moment, the other still writing. Every tenth round kills at
        // once (during start-up and the first commands); the others once the worker has acknowledged a command.
        foreach (var worker in workers)
        {
            if (round % 10 != 9)
            {
                var until = Stopwatch.StartNew();
                while (!worker.Lines.Any(l => l.StartsWith("ACK ", StringComparison.Ordinal)) && until.Elapsed < TimeSpan.FromSeconds(60) && !worker.Process.HasExited)
                {
                    await Task.Delay(20).ConfigureAwait(false);
                }
            }

            await Task.Delay(_random.Next(0, options.MaxKillMs)).ConfigureAwait(false);
            worker.Process.Kill(entireProcessTree: true); // SIGKILL on Linux and macOS
            await worker.Process.WaitForExitAsync().ConfigureAwait(false);
            _summary.Kills++;
        }

        var lines = workers.SelectMany(w => w.Lines).ToList();
        foreach (var worker in workers)
        {
            worker.Process.Dispose();
        }

        _summary.Rounds++;
        switch (mode)
        {
            case "single": _summary.RoundsSingle++; break;
            case "backup": _summary.RoundsBackup++; break;
            default: _summary.RoundsTwoWorkers++; break;
        }

        await CheckAsync(round, lines, mode == "backup" ? backup : null).ConfigureAwait(false);
    }

    private (Process, ConcurrentQueue<string>, TaskCompletionSource) Start(string id, string? backup)
    {
        var self = Environment.ProcessPath ?? "dotnet";
        var start = new ProcessStartInfo(self) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            start.ArgumentList.Add(typeof(Program).Assembly.Location);
        }

        foreach (var a in new[] { "worker", "--db", _db, "--id", id })
        {
            start.ArgumentList.Add(a);
        }

        if (options.Postgres is { } postgres)
        {
            start.ArgumentList.Add("--postgres");
            start.ArgumentList.Add(postgres);
        }

        if (backup is not null)
        {
            start.ArgumentList.Add("--backup");
            start.ArgumentList.Add(backup);
        }

        var lines = new ConcurrentQueue<string>();
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not { } line)
            {
                return;
            }

            if (line == "READY .")
            {
                ready.TrySetResult();
            }

            lines.Enqueue(line);
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (!string.IsNullOrWhiteSpace(e.Data))
            {
                lines.Enqueue("STDERR " + e.Data);
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return (process, lines, ready);
    }

    private async Task CheckAsync(int round, List<string> lines, string? backup)
    {
        var acked = 0;
        var lost = 0;
        var errors = 0;
        // 1. SQLite's own check, before the kernel touches the file (the first connection recovers the WAL).
        if (options.Postgres is null)
        {
            using var connection = new SqliteConnection($"Data Source={_db};Pooling=False");
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA integrity_check;";
            if (command.ExecuteScalar() as string != "ok")
            {
                _summary.IntegrityChecksFailed++;
                _summary.Failures.Add($"round {round}: integrity_check failed");
            }
        }

        await using var provider = Program.Kernel(_db, options.Postgres);
        var kernel = provider.GetRequiredService<CrmKernel>();
        var session = kernel.OpenSession(Program.Tenant, Program.Admin);
        var fields = new Dictionary<string, int>(StringComparer.Ordinal);
        var tasks = new List<string>();
        foreach (var line in lines)
        {
            if (line.StartsWith("ERROR", StringComparison.Ordinal) || line.StartsWith("STDERR", StringComparison.Ordinal))
            {
                errors++;
                _summary.Failures.Add($"round {round}: {line}");
                continue;
            }

            var parts = line.Split(' ');
            if (parts[^1] != ".")
            {
                continue; // cut by the kill: not an acknowledgement
            }

            switch (parts[0])
            {
                case "FIRED":
                    continue;
                case "BACKUP":
                    _summary.BackupsTaken++;
                    continue;
                case "ACK":
                    break;
                default:
                    continue;
            }

            acked++;
            var found = parts[1] switch
            {
                "client" => await ExistsAsync(() => session.Clients.GetAsync(new ClientId(parts[2]))).ConfigureAwait(false),
                "deal" => await ExistsAsync(() => session.Deals.GetAsync(new DealId(parts[2]))).ConfigureAwait(false),
                "task" => Remember(tasks, parts[2]),
                "field" => Remember(fields, parts[2], int.Parse(parts[3], CultureInfo.InvariantCulture)),
                _ => false,
            };
            if (!found)
            {
                lost++;
                _summary.Failures.Add($"round {round}: acknowledged but missing: {line}");
            }
        }

        foreach (var (deal, value) in fields)
        {
            var stored = (await session.Deals.GetAsync(new DealId(deal)).ConfigureAwait(false)).Fields.TryGetValue("n", out var n) ? int.Parse(n, CultureInfo.InvariantCulture) : 0;
            if (stored < value)
            {
                lost++;
                _summary.Failures.Add($"round {round}: deal {deal} field n is {stored}, acknowledged {value}");
            }
        }

        var storedTasks = (await session.Tasks.ListAsync(openOnly: false).ConfigureAwait(false)).Select(t => t.Id.Value).ToHashSet(StringComparer.Ordinal);
        foreach (var task in tasks.Where(t => !storedTasks.Contains(t)))
        {
            lost++;
            _summary.Failures.Add($"round {round}: acknowledged task {task} is missing");
        }

        // 2. The journal replays to the stored state.
        var verification = await kernel.VerifyJournalAsync(Program.Tenant).ConfigureAwait(false);
        _summary.EventsReplayed += verification.EventsReplayed;
        if (!verification.IsConsistent)
        {
            _summary.JournalChecksInconsistent++;
            _summary.Failures.Add($"round {round}: journal inconsistent: {string.Join("; ", verification.Differences.Take(5))}");
        }

        // 3. Timers: fire what the killed workers left (their leases ran out), then every task has exactly one reminder.
        var run = await kernel.Scheduler.RunDueAsync(Program.CatchUpNow).ConfigureAwait(false);
        _summary.TimersFiredByCheck += run.Fired;
        await ReadRemindersAsync(provider.GetRequiredService<ICrmStore>()).ConfigureAwait(false);
        foreach (var task in _tasks)
        {
            var times = _reminders.GetValueOrDefault(task);
            if (_checkedTasks.Add(_db + task))
            {
                _summary.TasksChecked++;
                _summary.RemindersSeen += times;
            }

            if (times == 0)
            {
                _summary.TimerEffectsLost++;
                _summary.Failures.Add($"round {round}: task {task} has no reminder");
            }
            else if (times > 1)
            {
                _summary.TimerEffectsDoubled++;
                _summary.Failures.Add($"round {round}: task {task} was reminded {times} times");
            }
        }


        // 4. The backup variant: whatever the kill left at the backup's path is a complete backup.
        if (backup is not null)
        {
            if (File.Exists(backup))
            {
                try
                {
                    await SqliteCrmStore.VerifyBackupAsync(backup).ConfigureAwait(false);
                    _summary.BackupsVerified++;
                }
                catch (SqliteBackupException e)
                {
                    _summary.BackupsBad++;
                    _summary.Failures.Add($"round {round}: {e.Message}");
                }

                File.Delete(backup);
                foreach (var suffix in new[] { "-wal", "-shm", "-journal" })
                {
                    File.Delete(backup + suffix);
                }
            }

            foreach (var temporary in Directory.GetFiles(options.Dir, ".backup.db.*"))
            {
                _summary.BackupTempFilesLeft++;
                File.Delete(temporary);
            }
        }

        _summary.CommandsAcknowledged += acked;
        _summary.Lost += lost;
        _summary.WorkerErrors += errors;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"round {round + 1}/{options.Kills}: acknowledged {acked}, lost {lost}, tasks {_tasks.Count}, reminders fired by check {run.Fired}, replayed {verification.EventsReplayed}, consistent {verification.IsConsistent}"));
    }

    private readonly HashSet<string> _checkedTasks = new(StringComparer.Ordinal);

    private static bool Remember(List<string> tasks, string id)
    {
        tasks.Add(id);
        return true;
    }

    private static bool Remember(Dictionary<string, int> fields, string deal, int value)
    {
        fields[deal] = Math.Max(fields.GetValueOrDefault(deal), value);
        return true;
    }

    private static async Task<bool> ExistsAsync<T>(Func<Task<T>> get)
    {
        try
        {
            await get().ConfigureAwait(false);
            return true;
        }
        catch (EntityNotFoundException)
        {
            return false;
        }
    }

    /// <summary>Reads the journal from where the last check stopped: tasks created and reminders sent, by task title.</summary>
    private async Task ReadRemindersAsync(ICrmStore store)
    {
        while (true)
        {
            var read = 0;
            await foreach (var record in store.ReadJournalAsync(Program.Tenant, _journalCursor, 5000).ConfigureAwait(false))
            {
                read++;
                _journalCursor = record.Position;
                switch (record.Event.EventType)
                {
                    case "WorkTaskCreated":
                        _tasks.Add(Property(record.Event.Payload, "title"));
                        break;
                    case "NotificationRequested" when Property(record.Event.Payload, "subject") is { } subject && subject.StartsWith("Reminder: ", StringComparison.Ordinal):
                        var title = subject["Reminder: ".Length..];
                        _reminders[title] = _reminders.GetValueOrDefault(title) + 1;
                        break;
                }
            }

            if (read == 0)
            {
                return;
            }
        }
    }

    private static string Property(string json, string name)
    {
        using var document = JsonDocument.Parse(json);
        foreach (var property in document.RootElement.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return property.Value.GetString() ?? "";
            }
        }

        return "";
    }
}
