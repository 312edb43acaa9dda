using Crm.Testing;
using Snapshooter;
using Snapshooter.Exceptions;
using Snapshooter.Xunit;
using Xunit;

namespace Crm.Kernel.Tests.Conventions;

/// <summary>
/// Issue 18: on CI a missing <c>.snap</c> fails its test instead of being written and passing. These tests change
/// the process's <c>SNAPSHOOTER_STRICT_MODE</c>, so they run alone (no other test matches a snapshot meanwhile).
/// </summary>
[Collection(SnapshotStrictnessCollection.Name)]
public sealed class SnapshotStrictnessTests
{
    [Fact]
    public void Issue18_on_CI_strict_mode_is_on_and_a_set_value_is_kept()
    {
        Assert.Equal("true", StrictSnapshots.ValueFor("true", null));
        Assert.Equal("true", StrictSnapshots.ValueFor("TRUE", ""));
        Assert.Null(StrictSnapshots.ValueFor(null, null));
        Assert.Null(StrictSnapshots.ValueFor("false", null));
        Assert.Equal("false", StrictSnapshots.ValueFor("true", "false"));
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            // This very run is on CI: the module initializer must have switched strict mode on.
            Assert.Contains(Environment.GetEnvironmentVariable(StrictSnapshots.Variable), new[] { "true", "True", "on" });
        }
    }

    [Fact]
    public void Issue18_a_missing_snapshot_fails_in_strict_mode_and_is_not_written()
    {
        var folder = Path.Combine(Path.GetTempPath(), "crm-snap-" + Guid.NewGuid().ToString("N"));
        var before = Environment.GetEnvironmentVariable(StrictSnapshots.Variable);
        try
        {
            Environment.SetEnvironmentVariable(StrictSnapshots.Variable, "true");
            Assert.Throws<SnapshotNotFoundException>(() => Snapshot.Match("strict", new SnapshotFullName("Issue18_strict.snap", folder)));
            Assert.False(File.Exists(Path.Combine(folder, "__snapshots__", "Issue18_strict.snap")));
            Assert.False(File.Exists(Path.Combine(folder, "Issue18_strict.snap")));

            // The control: without strict mode the same call writes the snapshot and passes (what CI must not do).
            Environment.SetEnvironmentVariable(StrictSnapshots.Variable, "false");
            Snapshot.Match("lenient", new SnapshotFullName("Issue18_lenient.snap", folder));
            Assert.Single(Directory.GetFiles(folder, "Issue18_lenient.snap", SearchOption.AllDirectories));
        }
        finally
        {
            Environment.SetEnvironmentVariable(StrictSnapshots.Variable, before);
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }
}

/// <summary>Runs the strict-mode tests alone: they change a process-wide environment variable.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SnapshotStrictnessCollection
{
    public const string Name = "snapshot strictness";
}
