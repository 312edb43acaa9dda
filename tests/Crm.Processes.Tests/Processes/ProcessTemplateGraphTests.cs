using Crm.Kernel.Processes;
using Crm.Kernel.Processes.Templates;
using Snapshooter.Xunit;

namespace Crm.Processes.Tests.Processes;

public sealed class ProcessTemplateGraphTests
{
    [Fact]
    public void Delivery_exports_to_dot() => ProcessTemplateGraph.ToDot(ProcessTemplates.Delivery).MatchSnapshot();

    [Fact]
    public void Delivery_exports_to_mermaid() => ProcessTemplateGraph.ToMermaid(ProcessTemplates.Delivery).MatchSnapshot();

    [Fact]
    public void Contract_approval_exports_to_dot() => ProcessTemplateGraph.ToDot(ProcessTemplates.ContractApproval).MatchSnapshot();

    [Fact]
    public void Contract_approval_exports_to_mermaid() => ProcessTemplateGraph.ToMermaid(ProcessTemplates.ContractApproval).MatchSnapshot();

    [Fact]
    public void Guarded_template_exports_its_guards_to_mermaid() =>
        ProcessTemplateGraph.ToMermaid(ProcessTemplateJsonTests.GuardedTemplate()).MatchSnapshot();

    [Fact]
    public void Guarded_template_exports_its_guards_to_dot() =>
        ProcessTemplateGraph.ToDot(ProcessTemplateJsonTests.GuardedTemplate()).MatchSnapshot();
}
