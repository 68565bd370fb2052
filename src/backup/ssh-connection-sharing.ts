import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSshOptions, type RsyncHost, runProcess, withOptions } from './rsync-host.ts';

/** The ssh connections of one backup: `shared` for short commands, `direct` for bulk copies. */
export interface BackupSsh {
  /** Rides on one master connection opened by its first use (about 35 ms a command, not 260). */
  readonly shared: RsyncHost;
  /** A connection of its own per command: parallel rsync runs that carry the cluster's bytes. */
  readonly direct: RsyncHost;
  /** Ends the master connection and removes its socket's directory. */
  close(): Promise<void>;
}

/**
 * Opens the ssh connections of a backup. A backup runs several short commands on the PostgreSQL
 * host (the rsync check, the file listing, the configuration files, the rsync runs that link
 * unchanged files or create directories), and each plain `ssh` pays its handshake again (about
 * a quarter of a second here, most of a second backup's time). OpenSSH's connection sharing
 * (ControlMaster) makes them sessions of one connection: the socket lives in a private
 * directory made for this backup (mode 0700), the master ends at {@link BackupSsh.close} (and
 * by itself 60 s after its last session if barkeep was killed). A single rsync run carrying the
 * data rides on the master too (1.5 GB over loopback: 3.2-3.8 s, against 3.9-4.4 s with a
 * connection of its own); several at once (`-j`) take `direct` connections, as over one master
 * they would share one encrypting process. Nothing is shared when ssh_command chooses its own
 * sharing (`-S`, `ControlMaster`, `ControlPath`), for `local-rsync`, without `settings` (what
 * sshSettings read: undefined when `ssh -G` does not work, another ssh program), or when no
 * private directory with a short enough path can be made in the temporary directory (TMPDIR).
 */
export async function openBackupSsh(
  host: RsyncHost,
  settings: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<BackupSsh> {
  const unshared: BackupSsh = { shared: host, direct: host, close: async () => undefined };
  if (host.kind !== 'ssh' || settings === undefined || choosesSharing(host.shell)) return unshared;
  const directory = await mkdtemp(join(tmpdir(), 'barkeep-ssh-')).catch(() => undefined);
  // %C is 40 characters; a socket's path must fit in sockaddr_un (108 bytes on Linux).
  if (directory === undefined || directory.length + 41 > 100) {
    if (directory !== undefined) await rm(directory, { recursive: true, force: true });
    return unshared;
  }
  const shared = withOptions(host, [
    '-o',
    'ControlMaster=auto',
    '-o',
    `ControlPath=${directory}/%C`,
    '-o',
    'ControlPersist=60',
  ]);
  return {
    shared,
    direct: host,
    async close() {
      // Fails harmlessly when no master was started. `-O exit` goes before a closing `--`.
      const [program, ...options] = withOptions(shared, ['-O', 'exit']).shell;
      await runProcess(program!, [...options, host.destination], { env }).catch(() => undefined);
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/** Whether ssh's options already set up connection sharing (`-S`, ControlMaster, ControlPath). */
function choosesSharing(shell: readonly string[]): boolean {
  return parseSshOptions(shell).options.some(
    ({ flag, argument }) =>
      flag === 'S' || (flag === 'o' && /^\s*control(master|path|persist)\b/i.test(argument ?? '')),
  );
}
