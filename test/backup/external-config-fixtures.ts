// Helpers of the external configuration tests: files the server can read, an ssh stand-in,
// and what is on disk to compare with.
import { chmodSync, chownSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { openConnection } from '../../src/postgres/connect.ts';
import { lookupOsUser, type ThrowawayCluster } from '../support/cluster.ts';

const runningAsRoot = process.getuid?.() === 0;

/** Writes a file (creating parents) owned by the server's OS account, with `mode`. */
export function writeServerFile(
  cluster: ThrowawayCluster,
  path: string,
  text: string,
  mode = 0o644,
): void {
  makeServerDir(cluster, join(path, '..'));
  writeFileSync(path, text);
  chmodSync(path, mode);
  if (runningAsRoot) {
    const account = lookupOsUser(cluster.osUser);
    chownSync(path, account.uid, account.gid);
  }
}

/** Creates a directory (and parents) owned by the server's OS account. */
export function makeServerDir(cluster: ThrowawayCluster, dir: string): void {
  const created = mkdirSync(dir, { recursive: true, mode: 0o755 });
  if (created === undefined || !runningAsRoot) return;
  const account = lookupOsUser(cluster.osUser);
  for (let current = dir; current.length >= created.length; current = join(current, '..')) {
    chownSync(current, account.uid, account.gid);
  }
}

/**
 * An executable ssh stand-in in `dir`: drops the options (`-p` with its value) and the host,
 * then runs the remote command with the local shell, as test/e2e/barman-client.test.ts does.
 * Returns an ssh_command using it.
 */
export function sshStandIn(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const script = join(dir, 'ssh');
  writeFileSync(
    script,
    '#!/bin/sh\nwhile [ $# -gt 0 ]; do case "$1" in -p) shift 2;; -*) shift;; *) shift; break;; esac; done\nexec sh -c "$*"\n',
  );
  chmodSync(script, 0o755);
  return `${script} -q -p 22 postgres@pg-host`;
}

/** Every regular file below `dir` (symlinks followed), absolute paths, sorted. */
export function regularFilesBelow(dir: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const stat = statSync(path, { throwIfNoEntry: false });
    if (stat?.isDirectory()) found.push(...regularFilesBelow(path));
    else if (stat?.isFile()) found.push(path);
  }
  return found.sort();
}

/** A normal (non-replication) connection as `user` over TCP, through barkeep's connect. */
export function connectAs(cluster: ThrowawayCluster, user = 'postgres'): Promise<pg.Client> {
  return openConnection(cluster.conninfo({ user }));
}
