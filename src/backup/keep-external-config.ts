import { join } from 'node:path';
import type { Client } from 'pg';
import type { Logger } from '../logging/logger.ts';
import { writeFileDurable } from '../storage/durable-write.ts';
import { type ExternalConfig, fetchExternalConfig } from './external-config.ts';
import { storeExternalConfig } from './external-config-store.ts';

/** Options of {@link keepExternalConfig}. */
export interface KeepExternalConfigOptions {
  /** Barman's ssh_command: the files are read over ssh when set, over SQL otherwise. */
  readonly sshCommand: string | undefined;
  /** `base/<id>`. */
  readonly backupDirectory: string;
  readonly logger: Logger;
  readonly phase: (text: string) => void;
}

/**
 * The step every backup method shares: finds the configuration files that live outside PGDATA,
 * stores them durably under `base/<id>/external/` with their list in `external-config.json`
 * (what recovery and verify-backup read), logs what was skipped, and returns what was found
 * for backup.info (`config_file`, `hba_file`, `ident_file`, `included_files`).
 */
export async function keepExternalConfig(
  client: Client,
  options: KeepExternalConfigOptions,
): Promise<ExternalConfig> {
  options.phase('Collecting the configuration files outside PGDATA');
  const external = await fetchExternalConfig(client, { sshCommand: options.sshCommand });
  for (const warning of external.warnings) options.logger.warn(warning);
  const stored = await storeExternalConfig(options.backupDirectory, external.files);
  await writeFileDurable(
    join(options.backupDirectory, 'external-config.json'),
    `${JSON.stringify(stored, null, 2)}\n`,
  );
  if (stored.length > 0) {
    options.phase(`Kept ${stored.length} configuration file(s) from outside PGDATA`);
  }
  return external;
}
