using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Crm.Mail.MailKit.Tests;

/// <summary>
/// A real SMTP server on loopback: Postfix's smtp-sink (Debian package postfix, installed by .ci/run), dumping every
/// message to a file. Missing smtp-sink fails the tests with a hint; they never skip.
/// </summary>
public sealed class SmtpSinkFixture : IDisposable
{
    private readonly Process _process;

    public SmtpSinkFixture()
    {
        var binary = new[] { "/usr/sbin/smtp-sink", "/usr/bin/smtp-sink" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("smtp-sink was not found: install Debian's postfix package (apt-get install postfix), as .ci/run does.");
        Directory = System.IO.Directory.CreateTempSubdirectory("crm-smtp-").FullName;
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(Directory, (UnixFileMode)0x1FF); // 0777: smtp-sink writes as nobody when started by root
        }
        Port = FreePort();
        var start = new ProcessStartInfo(binary) { RedirectStandardError = true, RedirectStandardOutput = true };
        if (Environment.UserName == "root")
        {
            start.ArgumentList.Add("-u");
            start.ArgumentList.Add("nobody");
        }

        foreach (var argument in new[] { "-d", Directory + "/", $"127.0.0.1:{Port}", "32" })
        {
            start.ArgumentList.Add(argument);
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException("smtp-sink did not start.");
        var deadline = DateTimeOffset.UtcNow.AddSeconds(10); // test code: real time is what a server start takes
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) when (DateTimeOffset.UtcNow < deadline && !_process.HasExited)
            {
                Thread.Sleep(50);
            }
        }
    }

    public string Directory { get; }

    public int Port { get; }

    /// <summary>Waits up to 5 s for a dumped message containing <paramref name="text"/>.</summary>
    public async Task<string> WaitForMessageAsync(string text)
    {
        for (var i = 0; i < 100; i++)
        {
            foreach (var file in System.IO.Directory.GetFiles(Directory))
            {
                var content = await File.ReadAllTextAsync(file);
                if (content.Contains(text, StringComparison.Ordinal))
                {
                    return content;
                }
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"No message containing '{text}' reached smtp-sink in {Directory}.");
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit(5000);
        }

        _process.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS temp cleaner.
        }
    }
}
