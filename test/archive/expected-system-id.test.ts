import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { expectedSystemId } from '../../src/archive/expected-system-id.ts';
import { readServerIdentity, writeServerIdentity } from '../../src/catalog/server-identity.ts';
import { type ServerLayout, serverLayout } from '../../src/catalog/server-layout.ts';
import { isBarkeepError } from '../../src/errors/barkeep-error.ts';
import { createLogger, silentLogger } from '../../src/logging/logger.ts';
import { useCluster } from '../support/cluster.ts';
import { Catalogs } from './archive-fixtures.ts';

const server = useCluster({ label: 'expected-sysid' });
const catalogs = new Catalogs();
let count = 0;
/** Nothing listens on port 1: a connection is refused at once. */
const UNREACHABLE = 'host=127.0.0.1 port=1 user=postgres dbname=postgres connect_timeout=2';

async function layout(): Promise<ServerLayout> {
  const fresh = serverLayout(`sysid${++count}`, { barman_home: catalogs.home });
  await mkdir(fresh.backupDirectory, { recursive: true });
  return fresh;
}

async function systemId(): Promise<string> {
  const [row] = await server.cluster.query<{ id: string }>(
    'SELECT system_identifier::text AS id FROM pg_control_system()',
  );
  return row!.id;
}

async function refusal(promise: Promise<string>, at: ServerLayout, why: RegExp): Promise<void> {
  await assert.rejects(promise, (error) => {
    assert.ok(isBarkeepError(error, 'operationFailed'), String(error));
    assert.equal(error.what, 'cannot verify WAL origin');
    assert.equal(error.subject, at.server);
    assert.match(error.why, why);
    assert.equal(
      error.hint,
      `Run 'barkeep check ${at.server}' once with the server up to record its identity.`,
    );
    return true;
  });
  assert.equal(existsSync(at.identityFile), false, 'no identity is recorded');
}

describe('expectedSystemId', () => {
  it('answers with the recorded identity without asking the server', async () => {
    const at = await layout();
    await writeServerIdentity(at.identityFile, { systemid: '7000000000000000042', version: '15' });
    assert.equal(await expectedSystemId(at, UNREACHABLE, silentLogger), '7000000000000000042');
    assert.equal(await expectedSystemId(at, undefined, silentLogger), '7000000000000000042');
  });

  it('learns the identity from conninfo on first contact and records it', async () => {
    const at = await layout();
    const logged: string[] = [];
    const logger = createLogger([{ write: (_level, message) => logged.push(message) }]);
    const expected = await systemId();
    assert.equal(await expectedSystemId(at, server.cluster.conninfo(), logger), expected);
    assert.deepEqual(await readServerIdentity(at.identityFile), {
      systemid: expected,
      version: String(server.cluster.major),
    });
    assert.ok(logged.some((line) => line.includes(`recorded system identifier ${expected}`)));
    // From now on the record answers, even when the server is away.
    assert.equal(await expectedSystemId(at, UNREACHABLE, silentLogger), expected);
  });

  it('refuses when there is neither a record nor conninfo', async () => {
    const at = await layout();
    await refusal(expectedSystemId(at, undefined, silentLogger), at, /conninfo is not set/);
    await refusal(expectedSystemId(at, '', silentLogger), at, /conninfo is not set/);
  });

  it('refuses when the server cannot be reached', async () => {
    const at = await layout();
    await refusal(
      expectedSystemId(at, UNREACHABLE, silentLogger),
      at,
      /no identity\.json and the server cannot be reached \(.+\)/,
    );
  });

  it('refuses when the role may not read pg_control_system()', async () => {
    const at = await layout();
    await server.cluster.query('CREATE ROLE plain_reader LOGIN');
    await server.cluster.query('REVOKE EXECUTE ON FUNCTION pg_control_system() FROM PUBLIC');
    try {
      await refusal(
        expectedSystemId(at, server.cluster.conninfo({ user: 'plain_reader' }), silentLogger),
        at,
        /does not tell its system identifier/,
      );
    } finally {
      await server.cluster.query('GRANT EXECUTE ON FUNCTION pg_control_system() TO PUBLIC');
    }
  });
});
