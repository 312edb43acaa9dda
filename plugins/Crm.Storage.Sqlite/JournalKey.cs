namespace Crm.Storage.Sqlite;

/// <summary>
/// A journal row's key is the tenant's number (<c>tenants.no</c>) in the high bits and the position in the tenant's
/// journal in the low <see cref="PositionBits"/> bits: one rowid b-tree, appended at the end of the tenant's range, with
/// no second index to keep for reading a tenant's journal in order.
/// </summary>
internal static class JournalKey
{
    /// <summary>The bits of a key that hold the position (schema 3 packs keys with this shift).</summary>
    public const int PositionBits = 40;

    /// <summary>The last position a tenant's journal can reach.</summary>
    public const long MaxPosition = (1L << PositionBits) - 1;

    /// <summary>The key of a tenant's position.</summary>
    public static long Of(long tenantNumber, long position) => (tenantNumber << PositionBits) | position;

    /// <summary>The position a key holds.</summary>
    public static long Position(long key) => key & MaxPosition;
}
