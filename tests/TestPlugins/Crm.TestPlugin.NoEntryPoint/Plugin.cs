namespace Crm.TestPlugin.NoEntryPoint;

public sealed class NotAPlugin
{
    public override string ToString() => "registers nothing";
}
