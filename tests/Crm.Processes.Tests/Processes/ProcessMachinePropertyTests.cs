using Crm.Abstractions;
using Crm.Kernel.Processes;
using Crm.Kernel.Processes.Templates;
using FsCheck.Xunit;
using NodaTime;
using NodaTime.Testing;

namespace Crm.Processes.Tests.Processes;

public sealed class ProcessMachinePropertyTests
{
    private static readonly string[] Triggers = ["submit", "approve", "reject", "sign", "startPicking", "picked", "delivered", "documentsSigned"];

    [Property(MaxTest = 300)]
    public bool A_trigger_fires_exactly_when_permitted_and_a_refused_one_changes_nothing(bool delivery, int[] choices)
    {
        var machine = new ProcessMachine(new FakeClock(Instant.FromUtc(2026, 1, 1, 0, 0)));
        var template = delivery ? ProcessTemplates.Delivery : ProcessTemplates.ContractApproval;
        machine.Register(template);
        var instance = machine.Start("p", template.Id).Instance;

        foreach (var choice in choices ?? [])
        {
            var trigger = Triggers[Math.Abs(choice % Triggers.Length)];
            var before = instance.CurrentStep;
            var permitted = machine.PermittedTriggers(instance).Contains(trigger);
            try
            {
                var result = machine.Fire(instance, trigger);
                if (!permitted || result.Step != instance.CurrentStep || template.FindStep(result.Step) is null)
                {
                    return false;
                }
            }
            catch (InvalidStateException)
            {
                if (permitted || instance.CurrentStep != before)
                {
                    return false;
                }
            }
        }

        return (instance.Status == ProcessStatus.Completed) == template.GetStep(instance.CurrentStep).IsFinal;
    }
}
