namespace Crm.Samples.Quickstart;

/// <summary>Command-line options of the Quickstart.</summary>
internal sealed record QuickstartOptions(string DatabasePath, int Seed, bool Keep)
{
    public static QuickstartOptions Parse(string[] args)
    {
        var path = "quickstart.db";
        var seed = 42;
        var keep = false;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--db" when i + 1 < args.Length:
                    path = args[++i];
                    break;
                case "--seed" when i + 1 < args.Length && int.TryParse(args[i + 1], out var s):
                    seed = s;
                    i++;
                    break;
                case "--keep":
                    keep = true;
                    break;
                default:
                    throw new ArgumentException($"Unknown option '{args[i]}'. Use --db <path>, --seed <n>, --keep.");
            }
        }

        return new QuickstartOptions(path, seed, keep);
    }
}
