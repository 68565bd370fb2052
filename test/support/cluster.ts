// Test helpers around the sandbox: which PostgreSQL versions to test, and a cluster per suite.
import { after, before } from 'node:test';
import { availableMajors } from '../../src/sandbox/postgres-binaries.ts';
import {
  startThrowawayCluster,
  type ThrowawayCluster,
  type ThrowawayClusterOptions,
} from '../../src/sandbox/throwaway-cluster.ts';

export { availableMajors, findPostgresBinaries } from '../../src/sandbox/postgres-binaries.ts';
export { sweepDeadSandboxes } from '../../src/sandbox/sandbox-sweeper.ts';
export {
  type ConninfoOptions,
  startThrowawayCluster,
  type ThrowawayCluster,
  type ThrowawayClusterOptions,
} from '../../src/sandbox/throwaway-cluster.ts';
export { lookupOsUser, type OsUser } from '../../src/storage/os-user.ts';

/** Parses `PG_TEST_VERSIONS` (`15,17`); undefined when unset or empty. */
function versionsFromEnvironment(): number[] | undefined {
  const raw = process.env['PG_TEST_VERSIONS']?.trim();
  if (raw === undefined || raw === '') return undefined;
  const versions = raw.split(/[\s,]+/).filter((part) => part !== '');
  const parsed = versions.map((part) => {
    const major = Number(part);
    if (!Number.isInteger(major) || major < 9) {
      throw new Error(`PG_TEST_VERSIONS: '${part}' is not a PostgreSQL major version`);
    }
    return major;
  });
  return [...new Set(parsed)].sort((a, b) => a - b);
}

/** The majors the full suite runs against: `PG_TEST_VERSIONS` (e.g. `15,17`), default `[15]`. */
export function testVersions(): number[] {
  return versionsFromEnvironment() ?? [15];
}

/**
 * The majors quick cross-version checks run against: `PG_TEST_VERSIONS` when set, otherwise
 * 15 and 17 as far as they are installed.
 */
export function smokeVersions(): number[] {
  const fromEnvironment = versionsFromEnvironment();
  if (fromEnvironment !== undefined) return fromEnvironment;
  const available = new Set(availableMajors());
  return [15, 17].filter((major) => available.has(major));
}

/** Hooks `useCluster` registers with; node:test's by default. */
export interface SuiteHooks {
  before(fn: () => Promise<void>): void;
  after(fn: () => Promise<void>): void;
}

/** What `useCluster` returns: the cluster, once the suite's `before` hook has run. */
export interface ClusterHandle {
  /** The running cluster; throws when read before the `before` hook ran. */
  readonly cluster: ThrowawayCluster;
}

/**
 * Starts a throwaway cluster in the suite's `before` hook and stops it in `after`. Call it at
 * the top of a `describe` (or of the file) and read `.cluster` inside the tests.
 */
export function useCluster(
  options: ThrowawayClusterOptions = {},
  hooks: SuiteHooks = { before, after },
): ClusterHandle {
  let current: ThrowawayCluster | undefined;
  hooks.before(async () => {
    current = await startThrowawayCluster(options);
  });
  hooks.after(async () => {
    await current?.stop();
  });
  return {
    get cluster(): ThrowawayCluster {
      if (current === undefined) throw new Error('useCluster: the cluster is not started yet');
      return current;
    },
  };
}
