import { BarkeepError } from '../errors/barkeep-error.ts';
import { describeHost, type RsyncHost, runOnHost, unreachable } from './rsync-host.ts';

/** One entry below a listed directory, as `find` saw it on the PostgreSQL host. */
export interface ListedEntry {
  /** `f` regular file, `d` directory, `l` symbolic link, anything else is left out. */
  readonly type: string;
  readonly size: number;
  /** Modification time, milliseconds since the epoch (the PostgreSQL host's clock). */
  readonly mtimeMs: number;
  /**
   * The path relative to the listed directory, as a byte string (one character per byte, the
   * `latin1` reading), so names that are not UTF-8 survive to rsync's `--files-from`.
   */
  readonly path: string;
}

/**
 * Lists every entry below each of `roots` on the host in one run of GNU `find` (locally, or
 * through ssh_command): type, size, modification time with nanoseconds and relative path,
 * NUL-terminated. Symbolic links are not followed (except a root that is one: `-H`). Files that
 * vanish while find walks (PostgreSQL drops and truncates files all the time) are no error.
 *
 * @throws BarkeepError `operationFailed` when ssh or find fails (a root that does not exist or
 * cannot be read, a find without `-printf`).
 */
export async function listTrees(
  host: RsyncHost,
  roots: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<Map<string, ListedEntry[]>> {
  const outcome = await runOnHost(
    host,
    ['find', '-H', ...roots, '-mindepth', '1', '-printf', '%H\\t%y\\t%s\\t%T@\\t%P\\0'],
    env,
  );
  if (host.kind === 'ssh' && outcome.status === 255) throw unreachable(host, outcome);
  if (outcome.status !== 0 && !onlyVanished(outcome.status, outcome.stderr)) {
    throw new BarkeepError('operationFailed', {
      what: 'cannot list the files to back up',
      subject: roots.join(' '),
      why: `find on ${describeHost(host)} exited with status ${outcome.status ?? 'unknown (killed)'}: ${outcome.stderr.trim() || 'no message'}`,
      hint: 'The user ssh_command logs in as (or barkeep, for local-rsync) must read PGDATA and every tablespace; GNU find is needed.',
    });
  }
  const byRoot = new Map<string, ListedEntry[]>(roots.map((root) => [root, []]));
  const text = outcome.stdout.toString('latin1');
  for (const record of text.split('\0')) {
    if (record === '') continue;
    const fields = splitFields(record);
    if (!fields) continue;
    const [root, type, size, mtime, path] = fields;
    const list = byRoot.get(Buffer.from(root, 'latin1').toString('utf8'));
    if (!list) continue;
    list.push({ type, size: Number(size), mtimeMs: Number(mtime) * 1000, path });
  }
  return byRoot;
}

/** find exits 1 after "No such file or directory" for entries removed while it walked. */
function onlyVanished(status: number | null, stderr: string): boolean {
  if (status !== 1) return false;
  const lines = stderr.split('\n').filter((line) => line.trim() !== '');
  return lines.length > 0 && lines.every((line) => /No such file or directory$/.test(line));
}

/** `root \t type \t size \t mtime \t path`; the path may itself hold tabs. */
function splitFields(record: string): [string, string, string, string, string] | undefined {
  const parts: string[] = [];
  let from = 0;
  for (let field = 0; field < 4; field++) {
    const tab = record.indexOf('\t', from);
    if (tab < 0) return undefined;
    parts.push(record.slice(from, tab));
    from = tab + 1;
  }
  return [parts[0]!, parts[1]!, parts[2]!, parts[3]!, record.slice(from)];
}
