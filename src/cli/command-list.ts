import { registerArchiveWal } from './archive-wal.ts';
import { registerCheck } from './check.ts';
import type { RegisterCommand } from './command-runtime.ts';
import { registerDemo } from './demo.ts';
import { registerDiagnose } from './diagnose.ts';
import { registerGetWal } from './get-wal.ts';
import { registerListServers } from './list-servers.ts';
import { registerPutWal } from './put-wal.ts';
import { registerRebuildXlogDb } from './rebuild-xlogdb.ts';
import { registerShowServers } from './show-servers.ts';
import { registerSwitchWal } from './switch-wal.ts';

/** Every command, in the order `barkeep --help` lists them. */
export const commandRegistrations: readonly RegisterCommand[] = [
  registerListServers,
  registerShowServers,
  registerCheck,
  registerPutWal,
  registerArchiveWal,
  registerGetWal,
  registerSwitchWal,
  registerRebuildXlogDb,
  registerDiagnose,
  registerDemo,
];
