using Crm.Abstractions;
using Crm.Abstractions.Storage;
using NodaTime;

namespace Crm.Storage.Sqlite;

/// <summary>What each request writes, on the writer thread inside the open transaction.</summary>
internal sealed partial class SqliteWriter
{
    private CommitResult Apply(StoreCommit commit, Dictionary<string, JournalHead> heads, Dictionary<(string, string, string), long> checkedVersions,
        Dictionary<(string, string, string), long> known)
    {
        var c = _commands;
        var tenant = commit.Tenant.Value;
        // Index loops throughout: the lists are interfaces, and a foreach over one allocates an enumerator each time.
        for (var n = 0; n < commit.ReadChecks.Count; n++)
        {
            var check = commit.ReadChecks[n];
            // Commits of one batch often depend on the same documents (the session's user, the rule book): each is read
            // once per batch; the batch's own writes keep the remembered versions current.
            var key = (tenant, check.Kind, check.Id);
            if (!checkedVersions.TryGetValue(key, out var actual) && !known.TryGetValue(key, out actual))
            {
                c.DocumentVersion.Set(tenant, check.Kind, check.Id);
                actual = c.DocumentVersion.ExecuteScalar() is long v ? v : 0;
                checkedVersions[key] = actual;
            }

            if (actual != check.Version)
            {
                throw new ConcurrencyConflictException(check.Kind, check.Id, check.Version, actual);
            }
        }

        for (var n = 0; n < commit.Documents.Count; n++)
        {
            var write = commit.Documents[n];
            int changed;
            if (write.ExpectedVersion == 0)
            {
                c.InsertDocument.Set(tenant, write.Kind, write.Id, 1L, write.Json);
                changed = c.InsertDocument.ExecuteNonQuery();
            }
            else
            {
                var update = c.UpdateDocument;
                update.Text(0, tenant);
                update.Text(1, write.Kind);
                update.Text(2, write.Id);
                update.Number(3, write.ExpectedVersion);
                update.Text(4, write.Json);
                changed = update.Execute();
            }

            if (changed == 0)
            {
                c.DocumentVersion.Set(tenant, write.Kind, write.Id);
                var actual = c.DocumentVersion.ExecuteScalar() is long v ? v : 0;
                throw new ConcurrencyConflictException(write.Kind, write.Id, write.ExpectedVersion, actual);
            }

            _wrote = true;
            checkedVersions[(tenant, write.Kind, write.Id)] = write.ExpectedVersion + 1;

            if (write.ExpectedVersion != 0)
            {
                if (!write.IndexesChanged)
                {
                    continue;
                }

                c.DeleteIndex.Set(tenant, write.Kind, write.Id);
                c.DeleteIndex.ExecuteNonQuery();
            }

            for (var m = 0; m < write.Indexes.Count; m++)
            {
                var entry = write.Indexes[m];
                c.InsertIndex.Set(tenant, write.Kind, entry.Name, entry.Value, write.Id);
                c.InsertIndex.ExecuteNonQuery();
            }
        }

        for (var n = 0; n < commit.UniqueKeys.Count; n++)
        {
            var change = commit.UniqueKeys[n];
            c.KeyOwner.Set(tenant, change.Scope, change.Key);
            var holder = c.KeyOwner.ExecuteScalar() as string;
            if (change.Release)
            {
                if (holder == change.OwnerId)
                {
                    c.DeleteKey.Set(tenant, change.Scope, change.Key);
                    c.DeleteKey.ExecuteNonQuery();
                    _wrote = true;
                }
            }
            else if (holder is null)
            {
                c.InsertKey.Set(tenant, change.Scope, change.Key, change.OwnerId);
                c.InsertKey.ExecuteNonQuery();
                _wrote = true;
            }
            else if (holder != change.OwnerId)
            {
                throw new DuplicateKeyException(change.Scope, change.Key, holder);
            }
        }

        for (var n = 0; n < commit.TimersCompleted.Count; n++)
        {
            var completion = commit.TimersCompleted[n];
            c.CompleteTimer.Set(tenant, completion.TimerId, completion.ClaimToken);
            if (c.CompleteTimer.ExecuteNonQuery() == 0)
            {
                throw new ConcurrencyConflictException("timer", completion.TimerId, 1, 0);
            }

            _wrote = true;
        }

        for (var n = 0; n < commit.TimersToCancel.Count; n++)
        {
            var id = commit.TimersToCancel[n];
            c.DeleteTimer.Set(tenant, id);
            c.DeleteTimer.ExecuteNonQuery();
            _wrote = true;
        }

        for (var n = 0; n < commit.TimersToSet.Count; n++)
        {
            var timer = commit.TimersToSet[n];
            c.UpsertTimer.Set(tenant, timer.Id, timer.DueAt.ToUnixTimeTicks(), timer.Kind, timer.Payload);
            c.UpsertTimer.ExecuteNonQuery();
            _wrote = true;
        }

        if (commit.Events.Count == 0)
        {
            return default;
        }

        if (!heads.TryGetValue(tenant, out var journal))
        {
            journal = ReadJournalHead(tenant);
        }

        var head = journal.Head;
        var first = head + 1;
        if (head + commit.Events.Count > JournalKey.MaxPosition)
        {
            throw new InvalidOperationException($"Tenant '{tenant}' has reached the journal's last position ({JournalKey.MaxPosition}).");
        }

        var commitId = commit.CommitId.ToByteArray(bigEndian: true);
        Span<byte> eventId = stackalloc byte[16];
        var recordedAt = commit.RecordedAt.ToUnixTimeTicks();
        for (var n = 0; n < commit.Events.Count; n++)
        {
            var e = commit.Events[n];
            head++;
            var insert = c.InsertJournal;
            insert.Number(0, JournalKey.Of(journal.Number, head));
            insert.Blob(1, commitId);
            insert.Number(2, recordedAt);
            e.EventId.TryWriteBytes(eventId, bigEndian: true, out _);
            insert.Blob(3, eventId);
            insert.Text(4, e.StreamKind);
            insert.Text(5, e.StreamId);
            insert.Text(6, e.EventType);
            insert.Text(7, e.Payload);
            insert.Number(8, e.OccurredAt.ToUnixTimeTicks());
            insert.Text(9, e.Actor);
            insert.Number(10, (int)e.Cause.Kind);
            insert.Text(11, e.Cause.Reference);
            insert.Text(12, e.Cause.Description);
            insert.Execute();
            _wrote = true;
        }

        heads[tenant] = journal with { Head = head };
        return new CommitResult(first, head);
    }

    /// <summary>The tenant's number and journal head as stored; a tenant's first events give it a number.</summary>
    private JournalHead ReadJournalHead(string tenant)
    {
        var c = _commands;
        c.TenantNumber.Set(tenant);
        if (c.TenantNumber.ExecuteScalar() is not long number)
        {
            c.InsertTenant.Set(tenant);
            number = c.InsertTenant.ExecuteScalar() is long n ? n : throw new InvalidOperationException($"Could not number tenant '{tenant}'.");
            _wrote = true;
            return new JournalHead(number, 0);
        }

        c.JournalHead.Set(JournalKey.Of(number, 0), JournalKey.Of(number, JournalKey.MaxPosition));
        var last = c.JournalHead.ExecuteScalar() is long key ? JournalKey.Position(key) : 0;
        return new JournalHead(number, last);
    }

    /// <summary>A tenant's number (the high bits of its journal keys) and the last position of its journal.</summary>
    private readonly record struct JournalHead(long Number, long Head);

    private IReadOnlyList<ClaimedTimer> Claim(ClaimRequest request)
    {
        var c = _commands;
        var now = request.Now.ToUnixTimeTicks();
        var due = new List<(string Tenant, string Id, long DueAt, string Kind, string Payload, long Attempts)>();
        c.DueTimers.Set(now, request.MaxCount);
        using (var reader = c.DueTimers.ExecuteReader())
        {
            while (reader.Read())
            {
                due.Add((reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetString(3), reader.GetString(4), reader.GetInt64(5)));
            }
        }

        var leaseUntil = request.Now + request.Lease;
        var claimed = new List<ClaimedTimer>(due.Count);
        foreach (var t in due)
        {
            var token = Guid.NewGuid().ToString("N");
            c.ClaimTimer.Set(t.Tenant, t.Id, token, leaseUntil.ToUnixTimeTicks());
            c.ClaimTimer.ExecuteNonQuery();
            claimed.Add(new ClaimedTimer(new ScheduledTimer(t.Id, new TenantId(t.Tenant), Instant.FromUnixTimeTicks(t.DueAt), t.Kind, t.Payload), token, leaseUntil, (int)t.Attempts + 1));
        }

        return claimed;
    }

    private bool ClaimOrReleaseConsumer(ConsumerLeaseRequest request)
    {
        using var command = _connection.CreateCommand();
        command.Parameters.AddWithValue("$t", request.Tenant.Value);
        command.Parameters.AddWithValue("$c", request.Consumer);
        command.Parameters.AddWithValue("$o", request.Owner);
        if (request.Now is not { } now || request.Until is not { } until)
        {
            command.CommandText = "DELETE FROM consumer_leases WHERE tenant=$t AND consumer=$c AND owner=$o";
            command.ExecuteNonQuery();
            return true;
        }

        command.CommandText = """
            INSERT INTO consumer_leases(tenant, consumer, owner, lease_until) VALUES($t, $c, $o, $u)
            ON CONFLICT(tenant, consumer) DO UPDATE SET owner = excluded.owner, lease_until = excluded.lease_until
            WHERE consumer_leases.owner = excluded.owner OR consumer_leases.lease_until <= $n
            """;
        command.Parameters.AddWithValue("$u", until.ToUnixTimeTicks());
        command.Parameters.AddWithValue("$n", now.ToUnixTimeTicks());
        return command.ExecuteNonQuery() == 1;
    }
}
