import { access, constants } from 'node:fs/promises';
import { readServerIdentity, writeServerIdentity } from '../catalog/server-identity.ts';
import { ensureServerLayout, layoutDirectories, serverLayout } from '../catalog/server-layout.ts';
import type { ServerConfig } from '../config/settings.ts';
import { isBarkeepError } from '../errors/barkeep-error.ts';
import type { Logger } from '../logging/logger.ts';
import { identifySystem } from '../postgres/identify-system.ts';
import { probeServer } from '../postgres/probe-server.ts';
import {
  archiveCommandTargetCheck,
  archiverErrorsCheck,
  continuousArchivingCheck,
  incomingProcessingCheck,
  walArchiveCheck,
  walShipping,
} from './archive-checks.ts';
import { type CheckResult, failed, passed, type ServerCheckReport } from './check-result.ts';
import {
  archiveCommandCheck,
  archiveModeCheck,
  privilegesCheck,
  walLevelCheck,
  walSendersCheck,
} from './postgres-checks.ts';
import { receiverRunningCheck, replicationSlotCheck } from './streaming-checks.ts';

/** What the check runner needs from its caller. */
export interface CheckEnvironment {
  readonly logger: Logger;
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Runs `barkeep check` for one server: PostgreSQL reachable, privileges, wal_level, archiving
 * settings when `archiver` is on, the replication connection when `streaming_archiver` is on,
 * the catalog directories, and that the system identifier matches the one recorded on first
 * contact (recording it then). A failure is a result, never an exception, so every check runs.
 */
export async function runServerChecks(
  server: ServerConfig,
  environment: CheckEnvironment,
): Promise<ServerCheckReport> {
  const settings = server.settings;
  const logger = environment.logger.child({ server: server.name });
  const results: CheckResult[] = [];
  const layout = serverLayout(server.name, settings);

  let systemIdentifier: string | undefined;
  let serverMajor: string | undefined;
  if (!settings.conninfo) {
    results.push(failed('PostgreSQL', 'conninfo is not set for this server'));
  } else {
    try {
      const { facts, archiver, replication } = await probeServer(
        settings.conninfo,
        environment.env,
      );
      systemIdentifier = facts.systemIdentifier;
      serverMajor = String(Math.floor(facts.serverVersionNum / 10000));
      results.push(passed('PostgreSQL'));
      results.push(privilegesCheck(facts), walLevelCheck(facts));
      if (settings.archiver) {
        const command = archiveCommandCheck(facts);
        results.push(archiveModeCheck(facts), command);
        if (command.ok) {
          results.push(archiveCommandTargetCheck(facts.archiveCommand, layout));
          if (walShipping(facts.archiveCommand, layout) === 'incoming')
            results.push(await incomingProcessingCheck(layout));
        }
        results.push(continuousArchivingCheck(archiver));
      }
      if (settings.streaming_archiver) results.push(walSendersCheck(facts));
      if (settings.streaming_archiver && settings.slot_name)
        results.push(replicationSlotCheck(server, replication));
    } catch (error) {
      results.push(failed('PostgreSQL', reason(error)));
    }
  }

  if (settings.streaming_archiver) {
    const conninfo = settings.streaming_conninfo ?? settings.conninfo;
    if (!conninfo) {
      results.push(failed('PostgreSQL streaming', 'streaming_conninfo is not set'));
    } else {
      try {
        const identity = await identifySystem(
          conninfo,
          environment.env ? { env: environment.env } : {},
        );
        const mismatch =
          systemIdentifier !== undefined && identity.systemIdentifier !== systemIdentifier;
        results.push(
          mismatch
            ? failed(
                'PostgreSQL streaming',
                `streaming_conninfo reaches system ${identity.systemIdentifier}, conninfo reaches ${systemIdentifier}`,
              )
            : passed('PostgreSQL streaming'),
        );
      } catch (error) {
        results.push(failed('PostgreSQL streaming', reason(error)));
      }
    }
  }

  if (settings.streaming_archiver) results.push(await receiverRunningCheck(server));
  if (!settings.archiver && !settings.streaming_archiver) {
    results.push(
      failed(
        'archiver enabled',
        'neither archiver nor streaming_archiver is on; no WAL would be kept',
      ),
    );
  }

  const directories = await directoriesCheck(layout);
  results.push(directories);
  if (directories.ok)
    results.push(await walArchiveCheck(layout), await archiverErrorsCheck(layout));
  if (directories.ok && systemIdentifier !== undefined) {
    results.push(
      await systemIdCheck(layout.identityFile, systemIdentifier, serverMajor ?? '', logger),
    );
  }
  return { server: server.name, results };
}

async function directoriesCheck(layout: ReturnType<typeof serverLayout>): Promise<CheckResult> {
  try {
    await ensureServerLayout(layout);
    for (const directory of layoutDirectories(layout)) {
      await access(directory, constants.W_OK | constants.X_OK);
    }
    return passed('directories');
  } catch (error) {
    return failed('directories', reason(error));
  }
}

async function systemIdCheck(
  file: string,
  systemid: string,
  version: string,
  logger: Logger,
): Promise<CheckResult> {
  const name = 'systemid coherence';
  try {
    const recorded = await readServerIdentity(file);
    if (!recorded) {
      await writeServerIdentity(file, { systemid, version });
      logger.info(`recorded system identifier ${systemid} in ${file}`);
      return passed(name, 'recorded on first contact');
    }
    if (recorded.systemid === systemid) return passed(name);
    return failed(
      name,
      `the server's system identifier is ${systemid} but the catalog belongs to ${recorded.systemid} (${file}); point conninfo at the right cluster`,
    );
  } catch (error) {
    return failed(name, reason(error));
  }
}

function reason(error: unknown): string {
  if (isBarkeepError(error)) return `${error.why}. ${error.hint}`;
  return error instanceof Error ? error.message : String(error);
}
