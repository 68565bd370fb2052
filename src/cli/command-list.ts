import { registerCheck } from './check.ts';
import type { RegisterCommand } from './command-runtime.ts';
import { registerDemo } from './demo.ts';
import { registerDiagnose } from './diagnose.ts';
import { registerListServers } from './list-servers.ts';
import { registerShowServers } from './show-servers.ts';

/** Every command, in the order `barkeep --help` lists them. */
export const commandRegistrations: readonly RegisterCommand[] = [
  registerListServers,
  registerShowServers,
  registerCheck,
  registerDiagnose,
  registerDemo,
];
