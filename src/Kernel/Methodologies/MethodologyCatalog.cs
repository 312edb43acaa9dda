using System.Collections.Concurrent;
using Crm.Abstractions;
using Crm.Abstractions.Plugins;
using Crm.Kernel.Processes;

namespace Crm.Kernel.Methodologies;

/// <summary>
/// The methodologies plug-ins added to this kernel. At start the templates of every valid methodology are registered
/// kernel-wide (template ids are kernel-wide, and running instances of an installed methodology need their template
/// after a restart); an invalid one is left out and its problems are reported when someone installs it.
/// </summary>
internal sealed class MethodologyCatalog
{
    private readonly Dictionary<string, List<SalesMethodology>> _byId = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, PreparedMethodology> _prepared = new(StringComparer.Ordinal);
    private readonly ProcessEngine _processes;

    public MethodologyCatalog(IEnumerable<SalesMethodology> methodologies, ProcessEngine processes)
    {
        _processes = processes;
        foreach (var methodology in methodologies)
        {
            if (!_byId.TryGetValue(methodology.Id ?? "", out var list))
            {
                _byId[methodology.Id ?? ""] = list = [];
                All.Add(methodology);
            }

            // The same plug-in added twice (the same instance) is one methodology; two different ones are a conflict.
            if (!list.Any(m => ReferenceEquals(m, methodology)))
            {
                list.Add(methodology);
            }
        }

        foreach (var methodology in All)
        {
            try
            {
                Prepare(methodology.Id);
            }
            catch (CrmValidationException)
            {
                // Reported by InstallAsync, where an administrator sees it; the kernel and the other methodologies run on.
            }
        }
    }

    /// <summary>One methodology per id, in the order the plug-ins added them.</summary>
    public List<SalesMethodology> All { get; } = [];

    /// <summary>The checked methodology, its templates registered in the kernel.</summary>
    /// <exception cref="EntityNotFoundException">No plug-in added a methodology with this id.</exception>
    /// <exception cref="MethodologyValidationException">Two plug-ins added it, or it is invalid.</exception>
    public PreparedMethodology Prepare(string id)
    {
        if (_prepared.TryGetValue(id, out var prepared))
        {
            return prepared;
        }

        if (!_byId.TryGetValue(id, out var candidates))
        {
            throw new EntityNotFoundException("methodology", id);
        }

        if (candidates.Count > 1)
        {
            throw new MethodologyValidationException(id, [new ValidationError($"methodologies[{id}]", $"{candidates.Count} plug-ins add a methodology with this id; remove all but one.")]);
        }

        prepared = PreparedMethodology.Prepare(candidates[0], _processes.Machine);
        foreach (var template in prepared.Templates)
        {
            _processes.Register(template);
        }

        return _prepared.GetOrAdd(id, prepared);
    }
}
