using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Xunit;

namespace Crm.Mail.MailKit.Tests;

/// <summary>
/// A real Postfix <c>smtp-sink</c> on 127.0.0.1 with a free port, dumping each message to its own file in a fresh
/// directory. Missing <c>smtp-sink</c> fails the tests (never a silent skip): the README's test command <c>bash eng/test.sh</c> (which CI's <c>.ci/run</c> calls) installs it as root.
/// </summary>
public sealed class SmtpSinkFixture : IAsyncLifetime
{
    private const string SmtpSinkPath = "/usr/sbin/smtp-sink";
    private Process? _process;

    /// <summary>The port smtp-sink listens on.</summary>
    public int Port { get; private set; }

    /// <summary>The directory each received message is dumped into, one file per message.</summary>
    public string DumpDirectory { get; } = Path.Combine(Path.GetTempPath(), "crm-smtp-sink-" + Guid.NewGuid().ToString("N"));

    public async Task InitializeAsync()
    {
        if (!File.Exists(SmtpSinkPath))
        {
            var where = Environment.GetEnvironmentVariable("CI") == "true" ? "CI must install it (eng/test.sh, called by .ci/run, installs the postfix package as root)" : "run bash eng/test.sh as root, or install it";
            throw new InvalidOperationException($"{SmtpSinkPath} is missing, so the SMTP adapter cannot be tested against a real server; {where}: apt-get install postfix");
        }

        Directory.CreateDirectory(DumpDirectory);
        var arguments = new List<string> { "-c", "-d", Path.Combine(DumpDirectory, "%Y%m%d%H%M%S.") };
        if (Environment.IsPrivilegedProcess && !OperatingSystem.IsWindows())
        {
            // smtp-sink refuses to run as root without dropping privileges; the unprivileged user must write the dumps.
            File.SetUnixFileMode(DumpDirectory, (UnixFileMode)0b111_111_111);
            arguments.AddRange(["-u", "nobody"]);
        }

        Port = FreePort();
        arguments.AddRange([$"127.0.0.1:{Port}", "16"]);
        var start = new ProcessStartInfo(SmtpSinkPath, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        _process = Process.Start(start) ?? throw new InvalidOperationException("smtp-sink did not start.");
        _process.OutputDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        var stderr = _process.StandardError.ReadToEndAsync();

        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"smtp-sink exited with {_process.ExitCode}: {await stderr}");
            }

            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) when (deadline.Elapsed < TimeSpan.FromSeconds(10))
            {
                await Task.Delay(50);
            }
        }
    }

    /// <summary>Waits until a dumped message contains <paramref name="marker"/> and returns its text.</summary>
    public async Task<string> WaitForMessageAsync(string marker, TimeSpan? within = null)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < (within ?? TimeSpan.FromSeconds(10)))
        {
            foreach (var file in Directory.GetFiles(DumpDirectory))
            {
                var text = await File.ReadAllTextAsync(file);
                if (text.Contains(marker, StringComparison.Ordinal))
                {
                    return text;
                }
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"No message containing \"{marker}\" arrived in {DumpDirectory}.");
    }

    public Task DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }

        _process?.Dispose();
        try
        {
            Directory.Delete(DumpDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A dump still being written; the temp directory is cleaned by the OS.
        }
        catch (UnauthorizedAccessException)
        {
            // Files written by the unprivileged user; the temp directory is cleaned by the OS.
        }

        return Task.CompletedTask;
    }

    /// <summary>A port nothing listens on right now (bound to port 0, then released).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}

[CollectionDefinition(Name)]
public sealed class SmtpSinkCollection : ICollectionFixture<SmtpSinkFixture>
{
    public const string Name = "smtp-sink";
}
