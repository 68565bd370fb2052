import { registerArchiveWal } from './archive-wal.ts';
import { registerBackup } from './backup.ts';
import { registerCheck } from './check.ts';
import { registerCheckBackup } from './check-backup.ts';
import type { RegisterCommand } from './command-runtime.ts';
import { registerCron } from './cron.ts';
import { registerDelete } from './delete.ts';
import { registerDemo } from './demo.ts';
import { registerDiagnose } from './diagnose.ts';
import { registerGetWal } from './get-wal.ts';
import { registerKeep } from './keep.ts';
import { registerListBackups } from './list-backups.ts';
import { registerListServers } from './list-servers.ts';
import { registerPutWal } from './put-wal.ts';
import { registerRebuildXlogDb } from './rebuild-xlogdb.ts';
import { registerReceiveWal } from './receive-wal.ts';
import { registerRecover } from './recover.ts';
import { registerReplicationStatus } from './replication-status.ts';
import { registerRetention } from './retention.ts';
import { registerServe } from './serve.ts';
import { registerShowBackup } from './show-backup.ts';
import { registerShowServers } from './show-servers.ts';
import { registerSshGate } from './ssh-gate.ts';
import { registerStatus } from './status.ts';
import { registerSwitchWal } from './switch-wal.ts';
import { registerVerifyBackup } from './verify-backup.ts';

/** Every command, in the order `barkeep --help` lists them. */
export const commandRegistrations: readonly RegisterCommand[] = [
  registerListServers,
  registerShowServers,
  registerCheck,
  registerStatus,
  registerReplicationStatus,
  registerPutWal,
  registerArchiveWal,
  registerGetWal,
  registerSwitchWal,
  registerReceiveWal,
  registerBackup,
  registerListBackups,
  registerShowBackup,
  registerDelete,
  registerKeep,
  registerRetention,
  registerCron,
  registerServe,
  registerCheckBackup,
  registerVerifyBackup,
  registerRecover,
  registerRebuildXlogDb,
  registerSshGate,
  registerDiagnose,
  registerDemo,
];
