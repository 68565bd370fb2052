import { shellQuote } from '../backup/config-ssh-tar.ts';
import { TarWriter } from './recovery-tar.ts';
import { remoteFailure, runRemoteScript } from './remote-shell.ts';

/**
 * Streams what `produce` writes, as tar, into `directory` on the remote host: `mkdir -p`, mode
 * 0700, `tar --no-same-owner -xpf -` (files belong to the ssh user, modes as in the stream),
 * then `sync` of that file system. Returns what was written.
 */
export async function streamToRemote(
  sshCommand: string,
  directory: string,
  produce: (writer: TarWriter) => Promise<void>,
): Promise<{ files: number; bytes: number }> {
  const writer = new TarWriter();
  let produced = false;
  const producing = produce(writer).then(
    () => {
      produced = true;
      writer.finalize();
    },
    (error: unknown) => {
      writer.destroy(error instanceof Error ? error : new Error(String(error)));
      throw error;
    },
  );
  producing.catch(() => undefined);
  const dir = shellQuote(directory);
  const script = [
    'set -e',
    `mkdir -p -- ${dir}`,
    `chmod 700 -- ${dir}`,
    `tar --no-same-owner -xpf - -C ${dir}`,
    `sync -f -- ${dir} 2>/dev/null || sync`,
  ].join('\n');
  let run: Awaited<ReturnType<typeof runRemoteScript>>;
  try {
    run = await runRemoteScript(sshCommand, script, { input: writer.stream });
  } catch (error) {
    await producing; // the producer's own error explains more than the cut stream
    throw error;
  }
  if (!produced) writer.destroy(new Error('the remote side stopped reading'));
  if (run.status !== 0) {
    await producing.catch(() => undefined);
    throw remoteFailure('cannot write the recovered files on the remote host', directory, run);
  }
  await producing;
  return writer.written;
}
