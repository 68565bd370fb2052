// A real shell script for the hook tests: it records its arguments and its BARMAN_* environment
// (one file per run), and exits with the n-th of its arguments on its n-th run (per phase and hook;
// the last one repeats), so a test can make a retry hook fail twice and then succeed.
import { mkdtempSync } from 'node:fs';
import { chmod, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';

/** One run of the recording script. */
export interface RecordedCall {
  readonly args: string;
  readonly env: Readonly<Record<string, string>>;
}

/** The script and what it recorded. */
export interface RecordingScript {
  readonly dir: string;
  /** The command line that runs the script with these exit codes, e.g. `command(1, 1, 0)`. */
  command(...exitCodes: number[]): string;
  /** Every run so far, in order. */
  calls(): Promise<RecordedCall[]>;
}

const SCRIPT = `#!/bin/sh
here=$(dirname "$0")
call="$here/call.$(date +%s%N).$$"
{ echo "--- $*"; env | grep '^BARMAN_' | sort; } > "$call.tmp"
mv "$call.tmp" "$call"
counter="$here/count.$BARMAN_PHASE.$BARMAN_HOOK"
n=$(cat "$counter" 2>/dev/null || echo 0)
n=$((n + 1))
echo "$n" > "$counter"
code=0
i=0
for c in "$@"; do
  i=$((i + 1))
  code=$c
  [ "$i" -ge "$n" ] && break
done
echo "run $n exits $code"
exit "$code"
`;

/**
 * Writes the recording script into a fresh directory: under `parent` when given (whoever owns
 * `parent` removes it), else in the temporary directory, removed after the calling test.
 */
export async function recordingScript(parent?: string): Promise<RecordingScript> {
  const dir = mkdtempSync(join(parent ?? tmpdir(), 'barkeep-hook-test-'));
  if (parent === undefined) after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'record.sh');
  await writeFile(path, SCRIPT);
  await chmod(path, 0o755);
  await chmod(dir, 0o777);
  return {
    dir,
    command: (...codes) => [path, ...codes.map(String)].join(' '),
    calls: async () => {
      // One file per run (concurrent runs, such as put-wal's archive hooks during a backup,
      // cannot interleave their lines), named by the time it started in nanoseconds.
      const files = (await readdir(dir))
        .filter((name) => /^call\.\d+\.\d+$/.test(name))
        .sort((a, b) => {
          const [x, y] = [BigInt(a.split('.')[1]!), BigInt(b.split('.')[1]!)];
          return x < y ? -1 : x > y ? 1 : 0;
        });
      const blocks = await Promise.all(files.map((name) => readFile(join(dir, name), 'utf8')));
      return blocks
        .map((text) => text.replace(/^--- ?/, ''))
        .map((block) => {
          const [args, ...lines] = block.split('\n');
          const env: Record<string, string> = {};
          for (const line of lines.filter(Boolean)) {
            const equals = line.indexOf('=');
            env[line.slice(0, equals)] = line.slice(equals + 1);
          }
          return { args: args!.trim(), env };
        });
    },
  };
}
