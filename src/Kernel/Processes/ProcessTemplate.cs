namespace Crm.Kernel.Processes;

/// <summary>
/// A versioned process definition: roles, steps with deadlines and on-entry actions, and guarded transitions.
/// Built with <see cref="Create"/> or loaded with <see cref="ProcessTemplateJson"/>; both validate. Immutable; two
/// templates are equal when every part is equal (C# guards compare by delegate).
/// </summary>
/// <example>
/// <code>
/// var t = ProcessTemplate.Create("delivery", version: 1, "Delivery")
///     .Role("warehouse")
///     .Step("picking", s => s.ResponsibleRole("warehouse").Deadline(BusinessDuration.WorkingDays(1)).Permit("picked", "shipped"))
///     .FinalStep("shipped")
///     .Build();
/// </code>
/// </example>
public sealed record ProcessTemplate
{
    internal ProcessTemplate(
        string id,
        int version,
        string name,
        IEnumerable<string> roles,
        string initialStep,
        IEnumerable<ProcessStep> steps)
    {
        Id = id;
        Version = version;
        Name = name;
        Roles = new ValueList<string>(roles);
        InitialStep = initialStep;
        Steps = new ValueList<ProcessStep>(steps);
    }

    /// <summary>The template id, stable across versions, e.g. <c>delivery</c>.</summary>
    public string Id { get; }

    /// <summary>The version (1 or more). Running instances keep the version they started with.</summary>
    public int Version { get; }

    /// <summary>A display name.</summary>
    public string Name { get; }

    /// <summary>The roles steps and actions may refer to.</summary>
    public IReadOnlyList<string> Roles { get; }

    /// <summary>The step a new instance starts in.</summary>
    public string InitialStep { get; }

    /// <summary>The steps, in declaration order.</summary>
    public IReadOnlyList<ProcessStep> Steps { get; }

    /// <summary>The names of the steps that complete the process.</summary>
    public IReadOnlyList<string> FinalSteps => Steps.Where(s => s.IsFinal).Select(s => s.Name).ToArray();

    /// <summary>Starts a fluent builder for a template.</summary>
    /// <param name="id">The template id.</param>
    /// <param name="version">The version, 1 or more.</param>
    /// <param name="name">A display name.</param>
    /// <exception cref="ArgumentException"><paramref name="id"/> or <paramref name="name"/> is blank.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="version"/> is less than 1.</exception>
    public static ProcessTemplateBuilder Create(string id, int version, string name) => new(id, version, name);

    /// <summary>The step named <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="KeyNotFoundException">The template has no such step; the message lists the steps.</exception>
    public ProcessStep GetStep(string name) =>
        FindStep(name) ?? throw new KeyNotFoundException(
            $"Process template '{Id}' v{Version} has no step '{name}'. Its steps are: {string.Join(", ", Steps.Select(s => s.Name))}.");

    /// <summary>The step named <paramref name="name"/>, or null.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    public ProcessStep? FindStep(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach (var step in Steps)
        {
            if (string.Equals(step.Name, name, StringComparison.Ordinal))
            {
                return step;
            }
        }

        return null;
    }

    /// <inheritdoc />
    public override string ToString() => $"{Id} v{Version} ({Name})";
}
