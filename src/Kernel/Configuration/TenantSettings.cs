using System.Text.Json.Serialization;
using Crm.Abstractions.Events;
using NodaTime;

namespace Crm.Kernel.Configuration;

/// <summary>
/// A tenant's settings as stored (one document per tenant): the newest version of each setting by <c>kind/key</c>,
/// and every version's JSON by <c>kind/key@version</c>, so what started on one version (a process) stays on it.
/// </summary>
internal sealed record TenantSettings
{
    /// <summary>The document id of the one settings document of a tenant.</summary>
    public const string StreamId = "settings";

    /// <summary>The newest version of each setting by <c>kind/key</c>.</summary>
    public IReadOnlyDictionary<string, StoredSetting> Current { get; init; } = new Dictionary<string, StoredSetting>();

    /// <summary>Every version's JSON by <c>kind/key@version</c>.</summary>
    public IReadOnlyDictionary<string, string> Versions { get; init; } = new Dictionary<string, string>();

    /// <summary>The stored version of the document.</summary>
    [JsonIgnore]
    public long Version { get; init; }

    /// <summary>The newest version of a setting, or null when the tenant has not defined it.</summary>
    public StoredSetting? Find(string kind, string key) => Current.GetValueOrDefault(Name(kind, key));

    /// <summary>The JSON of one version of a setting, or null.</summary>
    public string? FindVersion(string kind, string key, int version) => Versions.GetValueOrDefault($"{Name(kind, key)}@{version}");

    /// <summary>The newest version of every setting of one kind, by key.</summary>
    public IEnumerable<(string Key, StoredSetting Setting)> OfKind(string kind)
    {
        var prefix = kind + "/";
        return Current.Where(p => p.Key.StartsWith(prefix, StringComparison.Ordinal)).Select(p => (p.Key[prefix.Length..], p.Value));
    }

    /// <summary>Every stored version of every setting of one kind.</summary>
    public IEnumerable<string> AllVersionsOfKind(string kind)
    {
        var prefix = kind + "/";
        return Versions.Where(p => p.Key.StartsWith(prefix, StringComparison.Ordinal)).Select(p => p.Value);
    }

    internal static string Name(string kind, string key) => kind + "/" + key;

    /// <summary>Applies a definition (the projection of <see cref="TenantSettingDefined"/>).</summary>
    internal static TenantSettings Apply(TenantSettings? state, TenantSettingDefined e, Instant at)
    {
        state ??= new TenantSettings();
        var name = Name(e.Kind, e.Key);
        var current = new SortedDictionary<string, StoredSetting>(StringComparer.Ordinal);
        foreach (var pair in state.Current)
        {
            current[pair.Key] = pair.Value;
        }

        current[name] = new StoredSetting(e.Version, e.Json, at);
        var versions = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in state.Versions)
        {
            versions[pair.Key] = pair.Value;
        }

        versions[$"{name}@{e.Version}"] = e.Json;
        return state with { Current = current, Versions = versions };
    }
}

/// <summary>The newest version of one setting.</summary>
/// <param name="Version">Its version.</param>
/// <param name="Json">Its definition as JSON.</param>
/// <param name="DefinedAt">When it was defined.</param>
internal sealed record StoredSetting(int Version, string Json, Instant DefinedAt);

/// <summary>The kinds of tenant settings.</summary>
internal static class SettingKinds
{
    public const string ProcessTemplate = "process-template";
    public const string Calendar = "calendar";
    public const string UserCalendar = "user-calendar";
    public const string OrderIntake = "order-intake";
    public const string ReportDesign = "report-design";
    public const string KpiPlan = "kpi-plan";
    public const string NotificationPolicy = "notification-policy";
    public const string Default = "default";
    public const string StockPolicy = "stock-policy";
    public const string DiscountPolicy = "discount-policy";
}
