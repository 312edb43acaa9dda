using System.Reflection;
using System.Text.RegularExpressions;
using Crm.Abstractions.Events;
using Crm.Kernel.Storage;
using Xunit;

namespace Crm.Kernel.Tests.Conventions;

/// <summary>
/// Capabilities own their aggregates (issue 19, point 3): each capability folder declares its kinds and the streams and
/// changes of its events in one <see cref="AggregateRegistration"/>; Storage holds only the generic machinery. So adding
/// an event touches its capability's folder (and Crm.Abstractions when the event is public), nothing central.
/// </summary>
public sealed class AggregateOwnershipTests
{
    private static readonly Assembly Kernel = typeof(AggregateRegistration).Assembly;

    /// <summary>The folders of src/Kernel that are not capabilities: the generic machinery and the composition root.</summary>
    private static readonly string[] NotCapabilities = ["Storage", "Hosting"];

    [Fact]
    public void Every_domain_event_has_exactly_one_registration()
    {
        var events = AggregateRegistry.EventTypes();
        Assert.Contains(typeof(DealOpened), events);
        Assert.Contains(typeof(Crm.Kernel.Security.CallerCardShown), events);

        var declared = AggregateRegistry.Collect(AggregateRegistry.Discover()).Events;
        var counts = declared.GroupBy(p => p.EventType).ToDictionary(g => g.Key, g => g.Count());
        var wrong = events
            .Where(t => counts.GetValueOrDefault(t) != 1)
            .Select(t => $"{t.Name} has {counts.GetValueOrDefault(t)} registrations")
            .ToArray();
        Assert.Empty(wrong);
        Assert.Empty(declared.Select(p => p.EventType).Except(events));
    }

    [Fact]
    public void Each_registration_is_one_file_in_its_capability_folder()
    {
        var root = ArchitectureTests.RepositoryRoot();
        var registrations = AggregateRegistry.Discover().Select(r => r.GetType()).ToArray();
        Assert.NotEmpty(registrations);
        var misplaced = registrations
            .Where(t =>
            {
                var folder = t.Namespace!["Crm.Kernel.".Length..];
                return NotCapabilities.Contains(folder) || !File.Exists(Path.Combine(root, "src", "Kernel", folder, t.Name + ".cs"));
            })
            .Select(t => t.FullName)
            .ToArray();
        Assert.Empty(misplaced);
        Assert.Equal(registrations.Length, registrations.Select(t => t.Namespace).Distinct().Count());
    }

    [Fact]
    public void Storage_references_no_capability_namespace()
    {
        var root = ArchitectureTests.RepositoryRoot();
        var kernel = Path.Combine(root, "src", "Kernel");
        var capabilities = Directory.EnumerateDirectories(kernel)
            .Select(Path.GetFileName)
            .Where(name => name is not ("bin" or "obj") && !NotCapabilities.Contains(name))
            .ToArray();
        Assert.Contains("Deals", capabilities);
        var reference = new Regex(@"(?<![\w.])(?:Crm\.Kernel\.)?(?:" + string.Join("|", capabilities) + @")\.[A-Z]", RegexOptions.CultureInvariant);

        var offenders = Directory.EnumerateFiles(Path.Combine(kernel, "Storage"), "*.cs", SearchOption.AllDirectories)
            .SelectMany(file => File.ReadAllLines(file).Select((line, index) => (file, line, index)))
            .Where(x => !x.line.TrimStart().StartsWith("//", StringComparison.Ordinal) && reference.IsMatch(x.line))
            .Select(x => $"{Path.GetFileName(x.file)}:{x.index + 1}: {x.line.Trim()}")
            .ToArray();

        // The same in the compiled types: Storage's own types (all but the Kinds the capabilities extend) use no capability type.
        var capabilityNamespaces = capabilities.Select(c => "Crm.Kernel." + c).ToHashSet(StringComparer.Ordinal);
        var used = Kernel.GetTypes()
            .Where(t => t.Namespace == "Crm.Kernel.Storage" && !IsInKinds(t))
            .SelectMany(t => UsedTypes(t).Select(u => (t, u)))
            .Where(x => x.u.Namespace is { } ns && capabilityNamespaces.Any(c => ns == c || ns.StartsWith(c + ".", StringComparison.Ordinal)))
            .Select(x => $"{x.t.FullName} uses {x.u.FullName}")
            .Distinct()
            .ToArray();
        Assert.Empty(offenders.Concat(used));
    }

    [Fact]
    public void Registry_names_an_event_without_registration()
    {
        var withoutDeals = AggregateRegistry.Discover().Where(r => r.GetType().Name != "DealAggregates");
        var error = Assert.Throws<AggregateRegistrationException>(() => AggregateRegistry.Build(withoutDeals, AggregateRegistry.EventTypes()));
        Assert.Contains("DealOpened has no registration", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Registry_names_both_registrations_of_a_doubled_event()
    {
        var error = Assert.Throws<AggregateRegistrationException>(() =>
            AggregateRegistry.Build([.. AggregateRegistry.Discover(), new DoubledDealOpened()], AggregateRegistry.EventTypes()));
        Assert.Contains("DealOpened is registered 2 times", error.Message, StringComparison.Ordinal);
        Assert.Contains(typeof(DoubledDealOpened).FullName!, error.Message, StringComparison.Ordinal);
        Assert.Contains("Crm.Kernel.Deals.DealAggregates", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Kinds_are_every_kind_the_registrations_declare_by_unique_name()
    {
        Assert.Equal(Kinds.All.Count, Kinds.All.Select(k => k.Name).Distinct(StringComparer.Ordinal).Count());
        Assert.Contains(Kinds.Deal, Kinds.All);
        Assert.Contains(Kinds.PermissionSet, Kinds.All);
        var declaredFields = typeof(Kinds).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => typeof(AggregateKind).IsAssignableFrom(f.FieldType))
            .Select(f => (AggregateKind)f.GetValue(null)!)
            .ToHashSet();
        Assert.True(declaredFields.SetEquals(Kinds.All), "Every kind declared in Kinds is registered with a stream, and only those.");
    }

    private static bool IsInKinds(Type type)
    {
        for (var t = type; t is not null; t = t.DeclaringType)
        {
            if (t == typeof(Kinds))
            {
                return true;
            }
        }

        return false;
    }

    private static IEnumerable<Type> UsedTypes(Type type)
    {
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        var direct = new List<Type>();
        if (type.BaseType is { } baseType)
        {
            direct.Add(baseType);
        }

        direct.AddRange(type.GetInterfaces());
        direct.AddRange(type.GetFields(all).Select(f => f.FieldType));
        direct.AddRange(type.GetProperties(all).Select(p => p.PropertyType));
        foreach (var method in type.GetMethods(all).Cast<MethodBase>().Concat(type.GetConstructors(all)))
        {
            direct.AddRange(method.GetParameters().Select(p => p.ParameterType));
            if (method is MethodInfo info)
            {
                direct.Add(info.ReturnType);
            }

            if (method.GetMethodBody() is { } body)
            {
                direct.AddRange(body.LocalVariables.Select(l => l.LocalType));
            }
        }

        return direct.SelectMany(Flatten);
    }

    private static IEnumerable<Type> Flatten(Type type)
    {
        if (type.HasElementType)
        {
            return Flatten(type.GetElementType()!);
        }

        return type.IsGenericType ? [type, .. type.GetGenericArguments().SelectMany(Flatten)] : [type];
    }

    private sealed class DoubledDealOpened : AggregateRegistration
    {
        public override void Register(AggregateRegistryBuilder registry) =>
            registry.Stream(Kinds.Deal).On<DealOpened>(e => e.Deal.Value, (s, e, in ctx) => s!);
    }
}
