/**
 * The one registry of error kinds. Every failure barkeep reports is one of these: the kind fixes
 * the exit code (the contract's table) and the default hint shown to the operator.
 */
export interface ErrorKindSpec {
  /** Process exit code when this error ends a command. Never above 125. */
  readonly exitCode: 1 | 2 | 3 | 4;
  /** What the operator can do about it, used when the thrower gives no more specific hint. */
  readonly hint: string;
}

export const errorKinds = {
  /** Bad command line: unknown option, missing argument, conflicting options. */
  usage: { exitCode: 2, hint: "Run 'barkeep help COMMAND' for its options." },
  /** No configuration file in the lookup order, or one that cannot be read. */
  configMissing: {
    exitCode: 2,
    hint: 'Pass -c FILE, set BARKEEP_CONFIG, or create /etc/barkeep.conf.',
  },
  /** A configuration file that does not follow configparser syntax. */
  configSyntax: { exitCode: 2, hint: 'Fix the line; the syntax is key = value under a [section].' },
  /** A key that neither barkeep nor Barman knows. */
  configUnknownKey: { exitCode: 2, hint: 'Remove the key or correct its spelling.' },
  /** A known key with a value that does not parse, or in a section where it is not allowed. */
  configInvalidValue: {
    exitCode: 2,
    hint: "See 'barkeep show-servers' and the README for values.",
  },
  /** A server name on the command line that no section defines. */
  unknownServer: { exitCode: 2, hint: "Run 'barkeep list-servers' to see the configured servers." },
  /** Another barkeep process holds the lock for this server and operation. */
  lockHeld: {
    exitCode: 4,
    hint: 'Wait for it to finish, or stop it; a lock of a dead process is taken over automatically.',
  },
  /** One or more checks failed (check, check-backup, verify-backup). */
  checkFailed: { exitCode: 3, hint: 'Fix the checks marked FAILED and run the command again.' },
  /** PostgreSQL could not be reached or refused us. */
  postgresConnection: {
    exitCode: 1,
    hint: 'Check conninfo, that the server runs, pg_hba.conf and ~/.pgpass.',
  },
  /** PostgreSQL answered with an error to a query barkeep needs. */
  postgresQuery: { exitCode: 1, hint: 'Check the role privileges listed by barkeep check.' },
  /** The server behind a conninfo is not the cluster this catalog belongs to. */
  systemIdMismatch: {
    exitCode: 1,
    hint: 'Point conninfo at the right cluster, or give the new cluster its own server section.',
  },
  /** A file offered for archiving that is not a WAL file, or whose content contradicts its name. */
  walInvalid: {
    exitCode: 1,
    hint: 'The file was not stored; it is kept in errors/ when it came from incoming/.',
  },
  /** A WAL file whose name is already archived with different content. */
  walDuplicate: {
    exitCode: 1,
    hint: 'The stored file was kept unchanged and the new one saved in errors/; compare them and remove the wrong one.',
  },
  /** get-wal: the requested WAL file is not in the archive (restore_command moves on). */
  walNotFound: {
    exitCode: 1,
    hint: 'Check with list-backups / the wals/ directory which WAL the archive holds.',
  },
  /** Stored data (a compressed WAL file, a backup archive) that is damaged or cut short. */
  corruptArchive: {
    exitCode: 1,
    hint: 'The stored copy is damaged: restore it from another copy or archive the file again.',
  },
  /** Stored data in a compression format barkeep recognises but cannot decode (bzip2, xz, snappy). */
  unsupportedCompression: {
    exitCode: 1,
    hint: 'Decompress it with the matching tool (bzip2 -d, xz -d, python-snappy) or with Barman; barkeep reads gzip, zstd and lz4.',
  },
  /** A backup ID, name or shortcut (`latest`, `oldest`, `last-failed`) that matches no backup. */
  backupNotFound: {
    exitCode: 1,
    hint: "Run 'barkeep list-backups SERVER' to see the backups and their IDs.",
  },
  /** A backup.info that is not in Barman's key=value form or holds a value that does not parse. */
  backupInfoInvalid: {
    exitCode: 1,
    hint: 'Restore the file from a copy or correct the value named; Barman would not read it either.',
  },
  /** The ssh gate refused a command a key is not meant to run. */
  accessRefused: {
    exitCode: 1,
    hint: 'This key only runs barman-wal-archive and barman-wal-restore for its servers; see the ssh-gate section of the README.',
  },
  /** A file-system operation failed (permission, full disk, missing directory). */
  io: { exitCode: 1, hint: 'Check permissions and free space.' },
  /** A `pre_*_retry_script` exited 63 (Barman's ABORT_STOP): the operation was not done. */
  hookAborted: {
    exitCode: 1,
    hint: 'The hook script asked to stop; see its output in the log, fix what it checks, and run the command again.',
  },
  /** A command-level operation failed for a reason explained in the message. */
  operationFailed: { exitCode: 1, hint: 'See the log for details.' },
  /** A programming error: barkeep reached a state it should never reach. */
  internal: { exitCode: 1, hint: 'Please report this with the output of barkeep -d.' },
} as const satisfies Record<string, ErrorKindSpec>;

/** The name of an error kind in the registry. */
export type ErrorKind = keyof typeof errorKinds;
