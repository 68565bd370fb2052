import { execFile } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import { arch, hostname, platform, release, userInfo } from 'node:os';
import { promisify } from 'node:util';
import { readServerIdentity } from '../catalog/server-identity.ts';
import { layoutDirectories, serverLayout } from '../catalog/server-layout.ts';
import { describeSettings } from '../config/describe-settings.ts';
import type { BarkeepConfig } from '../config/settings.ts';
import { redactConninfo } from '../postgres/redact-conninfo.ts';
import { VERSION } from '../version.ts';

const run = promisify(execFile);

/**
 * Everything support needs in one JSON-ready document (Barman's `diagnose`): versions of
 * barkeep, Node and the tools it may call, the configuration (passwords redacted), and the state
 * of each server's catalog. It reads only; it never contacts PostgreSQL, so it works when
 * nothing else does.
 */
export async function diagnoseReport(config: BarkeepConfig): Promise<Record<string, unknown>> {
  const servers: Record<string, unknown> = {};
  for (const server of config.servers.values()) {
    const layout = serverLayout(server.name, server.settings);
    const directories: Record<string, boolean> = {};
    for (const directory of layoutDirectories(layout))
      directories[directory] = await isDirectory(directory);
    let identity: unknown;
    try {
      identity = (await readServerIdentity(layout.identityFile)) ?? null;
    } catch (error) {
      identity = { error: (error as Error).message };
    }
    servers[server.name] = {
      config: settingsObject(server.settings),
      defined_in: `${server.file}:${server.line}`,
      directories,
      identity,
    };
  }
  return {
    system_info: {
      barkeep_version: VERSION,
      node_version: process.version,
      platform: `${platform()} ${release()} ${arch()}`,
      hostname: hostname(),
      user: userInfo().username,
      postgresql_binaries: await localPostgresVersions(),
      rsync_version: await firstLine('rsync', ['--version']),
      ssh_version: await firstLine('ssh', ['-V']),
    },
    config_files: config.files,
    global: settingsObject(config.global),
    servers,
    warnings: config.warnings.map(
      (warning) => `${warning.file}:${warning.line}: ${warning.message}`,
    ),
  };
}

function settingsObject(settings: BarkeepConfig['global']): Record<string, unknown> {
  return Object.fromEntries(
    describeSettings(settings, redactConninfo).map((row) => [row.name, row.json]),
  );
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

async function localPostgresVersions(): Promise<string[]> {
  try {
    return (await readdir('/usr/lib/postgresql')).sort();
  } catch {
    return [];
  }
}

/** The first line a tool prints about its version, or null when it is not installed. */
async function firstLine(command: string, args: string[]): Promise<string | null> {
  try {
    const { stdout, stderr } = await run(command, args, { timeout: 5000 });
    return (stdout || stderr).split('\n')[0]?.trim() ?? null;
  } catch {
    return null;
  }
}
