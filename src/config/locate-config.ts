import { accessSync, constants } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { BarkeepError } from '../errors/barkeep-error.ts';

/** Where to look for the configuration: the explicit file, the environment, the home directory. */
export interface ConfigSearch {
  readonly explicitFile?: string | undefined;
  readonly env?: NodeJS.ProcessEnv;
  readonly home?: string;
}

/**
 * The configuration file to use, in the contract's order: `-c FILE`, `$BARKEEP_CONFIG`,
 * `~/.barkeep.conf`, `/etc/barkeep.conf`, `/etc/barkeep/barkeep.conf`. An explicit file that is
 * not readable is an error rather than a silent fall-through.
 */
export function locateConfig(search: ConfigSearch = {}): string {
  const env = search.env ?? process.env;
  const explicit = search.explicitFile ?? (env.BARKEEP_CONFIG || undefined);
  if (explicit !== undefined) {
    if (!readable(explicit)) {
      throw new BarkeepError('configMissing', {
        what: 'cannot read configuration',
        subject: explicit,
        why: 'the file does not exist or is not readable',
        hint: 'Check the path given with -c or BARKEEP_CONFIG.',
      });
    }
    return explicit;
  }
  const candidates = [
    join(search.home ?? homedir(), '.barkeep.conf'),
    '/etc/barkeep.conf',
    '/etc/barkeep/barkeep.conf',
  ];
  const found = candidates.find(readable);
  if (found === undefined) {
    throw new BarkeepError('configMissing', {
      what: 'cannot find configuration',
      subject: candidates.join(', '),
      why: 'none of these files exists',
    });
  }
  return found;
}

function readable(path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}
