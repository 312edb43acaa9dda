using Crm.Abstractions.Automation;
using Crm.Abstractions;
using Crm.Kernel.Processes;
using Crm.Kernel.Scheduling;

namespace Crm.Processes.Tests.Processes;

public sealed class ProcessTemplateBuilderTests
{
    [Fact]
    public void Builds_a_valid_template()
    {
        var template = ProcessTemplate.Create("delivery", version: 1, "Delivery")
            .Role("warehouse")
            .Role("logistics")
            .Step("picking", s => s
                .ResponsibleRole("warehouse")
                .Deadline(BusinessDuration.WorkingDays(1))
                .Remind(BusinessDuration.WorkingHours(2))
                .EscalateToHeadOnTimeout()
                .OnEntry(new CreateTask("Pick", BusinessDuration.WorkingDays(1), Recipient.Role("warehouse")))
                .Permit("picked", "shipped"))
            .FinalStep("shipped", s => s.ResponsibleRole("logistics"))
            .Build();

        Assert.Equal("picking", template.InitialStep);
        Assert.Equal(["shipped"], template.FinalSteps);
        Assert.Equal("shipped", template.GetStep("picking").Transitions[0].Target);
        Assert.Throws<KeyNotFoundException>(() => template.GetStep("packing"));
    }

    [Fact]
    public void Reports_every_problem_with_its_path()
    {
        var ex = Assert.Throws<CrmValidationException>(() => ProcessTemplate.Create("t", 1, "T")
            .Role("sales")
            .Step("draft", s => s.ResponsibleRole("lawyer").Permit("submit", "reviw"))
            .Step("review", s => s
                .OnEntry(new Notify("Hi", "Body", Recipient.Role("boss")), new WaitForEvent("InvoicePaid", "paid"))
                .Permit("approve", "done"))
            .Step("draft", s => s.Permit("x", "done"))
            .FinalStep("done")
            .Build());

        Assert.Equal(
            [
                "$.steps[2].name: duplicate step 'draft' (already declared at $.steps[0]).",
                "$.steps[0].responsibleRole: role 'lawyer' is not declared in $.roles.",
                "$.steps[0].transitions[0].target: unknown step 'reviw'.",
                "$.steps[1].onEntry[0].to: role 'boss' is not declared in $.roles.",
                "$.steps[1].onEntry[1].trigger: trigger 'paid' is not permitted in this step; add a transition for it.",
                "$.steps[1]: step 'review' is unreachable from the initial step 'draft'.",
                "$.steps[3]: step 'done' is unreachable from the initial step 'draft'.",
            ],
            ex.Errors.Select(e => e.ToString()));
    }

    [Fact]
    public void Rejects_dead_ends_final_steps_with_transitions_and_unguarded_duplicate_triggers()
    {
        var ex = Assert.Throws<CrmValidationException>(() => ProcessTemplate.Create("t", 1, "T")
            .Step("a", s => s.Permit("go", "b").Permit("go", "c"))
            .Step("b", _ => { })
            .FinalStep("c", s => s.Permit("back", "a"))
            .Build());

        Assert.Equal(
            [
                "$.steps[0].transitions[1].trigger",
                "$.steps[1].transitions",
                "$.steps[2].transitions",
            ],
            ex.Errors.Select(e => e.Field));
    }

    [Fact]
    public void Validates_arguments()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ProcessTemplate.Create("t", 0, "T"));
        Assert.Throws<ArgumentException>(() => ProcessTemplate.Create(" ", 1, "T"));
        Assert.Throws<ArgumentNullException>(() => ProcessTemplate.Create("t", 1, "T").Step("a", null!));
        Assert.Throws<ArgumentException>(() => ProcessTemplate.Create("t", 1, "T").Step("a", s => s.Permit("", "b")));
    }

    [Fact]
    public void An_explicit_initial_step_must_exist()
    {
        var ex = Assert.Throws<CrmValidationException>(() => ProcessTemplate.Create("t", 1, "T")
            .InitialStep("start")
            .FinalStep("end")
            .Build());
        Assert.Contains(ex.Errors, e => e.ToString() == "$.initialStep: unknown step 'start'.");
    }
}
