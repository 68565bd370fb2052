import { readFile } from 'node:fs/promises';
import { BarkeepError } from '../errors/barkeep-error.ts';
import { errnoCode, ioError } from '../errors/system-error.ts';
import { writeFileDurable } from '../storage/durable-write.ts';

/** What the catalog remembers of the cluster it belongs to (Barman's `identity.json`). */
export interface ServerIdentity {
  /** The cluster's system identifier, a 64-bit number kept as decimal text. */
  readonly systemid: string;
  /** The server's major version at first contact, e.g. `15`. */
  readonly version: string;
}

/** Reads `identity.json`; undefined when the catalog never met its server. */
export async function readServerIdentity(file: string): Promise<ServerIdentity | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw ioError('cannot read server identity', file, error);
  }
  let parsed: { systemid?: unknown; version?: unknown };
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    throw corrupt(file, 'it is not JSON');
  }
  // A 64-bit systemid written as a JSON number would lose digits in JSON.parse: take its text.
  const systemid = /"systemid"\s*:\s*"?(\d+)/.exec(text)?.[1];
  if (parsed.systemid === undefined || systemid === undefined) {
    throw corrupt(file, 'it has no numeric systemid');
  }
  return { systemid, version: String(parsed.version ?? '') };
}

/** Records the identity durably (first contact with the server). */
export async function writeServerIdentity(file: string, identity: ServerIdentity): Promise<void> {
  await writeFileDurable(file, `${JSON.stringify(identity, null, 2)}\n`);
}

function corrupt(file: string, why: string): BarkeepError {
  return new BarkeepError('operationFailed', {
    what: 'cannot read server identity',
    subject: file,
    why,
    hint: 'Restore the file from a copy, or remove it to learn the identity again from the server.',
  });
}
