import { prettySize } from '../backup/backup-listing.ts';
import { selectServers } from '../config/select-servers.ts';
import { isBarkeepError } from '../errors/barkeep-error.ts';
import type { RetentionOutcome } from '../retention/apply-retention.ts';
import type { RegisterCommand } from './command-runtime.ts';

/** The console lines of one server's outcome: each backup's status, what went, the WAL. */
function describeOutcome(outcome: RetentionOutcome): string[] {
  const { server, policy, dryRun } = outcome;
  if (!outcome.enforced)
    return [
      `Retention of server ${server}: no retention_policy or retention_gfs set; nothing to do`,
    ];
  const lines = [
    `Retention of server ${server} (${policy})${dryRun ? ': dry run, nothing changed' : ''}`,
  ];
  const deleted = new Set(outcome.deletedBackups);
  const skipped = new Map(outcome.skippedBackups.map((s) => [s.backupId, s.why]));
  for (const { backupId, status } of [...outcome.statuses].reverse()) {
    let fate = '';
    if (deleted.has(backupId)) fate = dryRun ? ' - would be deleted' : ' - deleted';
    else if (skipped.has(backupId)) fate = ` - left: ${skipped.get(backupId)}`;
    lines.push(`\t${backupId} - ${status}${fate}`);
  }
  if (outcome.statuses.length === 0) lines.push('\tno backups');
  const count = outcome.removedWal.length;
  if (outcome.walSkipped) lines.push(`\tWAL: none removed (${outcome.walSkipped})`);
  else if (count === 0) lines.push(`\tWAL: nothing to remove before ${outcome.walCutoff}`);
  else {
    const range = `${outcome.removedWal[0]} to ${outcome.removedWal[count - 1]}`;
    lines.push(
      `\tWAL: ${count} file(s), ${prettySize(outcome.removedWalBytes)}, ${dryRun ? 'would be removed' : 'removed'} (${range}; everything from ${outcome.walCutoff} stays)`,
    );
  }
  return lines;
}

/** The `-f json` form of one server's outcome, snake_case like the other JSON documents. */
function jsonOf(outcome: RetentionOutcome): Record<string, unknown> {
  const deleted = new Set(outcome.deletedBackups);
  return {
    enforced: outcome.enforced,
    policy: outcome.policy,
    dry_run: outcome.dryRun,
    backups: outcome.statuses.map(({ backupId, status }) => ({
      backup_id: backupId,
      retention_status: status,
      deleted: deleted.has(backupId),
    })),
    deleted_backups: outcome.deletedBackups,
    skipped_backups: outcome.skippedBackups.map((s) => ({ backup_id: s.backupId, why: s.why })),
    removed_wal: outcome.removedWal,
    removed_wal_bytes: outcome.removedWalBytes,
    wal_cutoff: outcome.walCutoff ?? null,
    wal_skipped: outcome.walSkipped ?? null,
  };
}

/**
 * `retention SERVER...|all [--dry-run]`: ours (Barman applies retention only from cron). Applies
 * the retention policies now, or with --dry-run shows what they would delete.
 */
export const registerRetention: RegisterCommand = (program, runtime) => {
  program
    .command('retention')
    .summary('apply the retention policy now (or show what it would delete)')
    .description(
      "Work out each backup's retention status (retention_policy, barkeep's retention_gfs, minimum_redundancy, keep), delete the OBSOLETE backups, then the archived WAL no remaining backup needs. --dry-run changes nothing and prints what would go. Barman has no such command (its cron applies retention); barkeep's cron does the same.",
    )
    .argument('<SERVER...>', "server names, or 'all'")
    .option('-n, --dry-run', 'print what would be deleted, delete nothing')
    .action(
      runtime.action(
        'retention',
        async (context, names: string[], options: { dryRun?: boolean }) => {
          const config = await context.config();
          const { applyRetention } = await import('../retention/apply-retention.ts');
          const servers = selectServers(config, names);
          const document: Record<string, unknown> = {};
          let exitCode = 0;
          for (const server of servers) {
            let outcome: RetentionOutcome;
            try {
              outcome = await applyRetention(server, {
                dryRun: options.dryRun ?? false,
                logger: context.logger,
              });
            } catch (error) {
              // One server failing (e.g. a backup holds its lock) does not stop the others.
              if (servers.length === 1 || !isBarkeepError(error)) throw error;
              context.logger.error(error.toLine());
              exitCode ||= error.exitCode;
              continue;
            }
            if (context.globals.format === 'json') document[server.name] = jsonOf(outcome);
            else for (const line of describeOutcome(outcome)) context.print(line);
          }
          if (context.globals.format === 'json') context.printJson(document);
          return exitCode;
        },
      ),
    );
};
