import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type BarkeepError, isBarkeepError } from '../../src/errors/barkeep-error.ts';
import { openConnection, type PgClient, runQuery } from '../../src/postgres/connect.ts';
import { readServerFacts } from '../../src/postgres/server-facts.ts';
import { useCluster } from '../support/cluster.ts';

const PASSWORD = "s3cr:t\\pa'ss wörd";
const REPL_PASSWORD = 'repl-only-7f3a';

/** Asserts a postgresConnection error whose why matches and which never shows `secret`. */
async function rejectsConnection(
  promise: Promise<unknown>,
  why: RegExp,
  secret = PASSWORD,
): Promise<BarkeepError> {
  let caught: unknown;
  await promise.then(
    () => assert.fail('expected the connection to fail'),
    (error: unknown) => {
      caught = error;
    },
  );
  assert.ok(isBarkeepError(caught, 'postgresConnection'), String(caught));
  assert.equal(caught.what, 'cannot connect to PostgreSQL');
  assert.match(caught.why, why);
  for (const text of [caught.message, caught.toLine(), caught.subject, caught.stack ?? '']) {
    assert.ok(!text.includes(secret), `the password shows in: ${text}`);
  }
  return caught;
}

async function withClient<T>(client: PgClient, body: (client: PgClient) => Promise<T>): Promise<T> {
  try {
    return await body(client);
  } finally {
    await client.end();
  }
}

/** The escaped form of a pgpass field. */
function pgpassField(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/:/g, '\\:');
}

describe('openConnection against a real server', () => {
  const handle = useCluster({ hbaLines: ['host all all 127.0.0.1/32 scram-sha-256'] });
  let home = '';

  before(async () => {
    const { cluster } = handle;
    await cluster.query("SET password_encryption = 'scram-sha-256'");
    await cluster.query(`CREATE ROLE app LOGIN PASSWORD '${PASSWORD.replace(/'/g, "''")}'`);
    await cluster.query(`CREATE ROLE streamer LOGIN REPLICATION PASSWORD '${REPL_PASSWORD}'`);
    home = await mkdtemp(join(tmpdir(), 'barkeep-connect-'));
  });

  after(async () => {
    await rm(home, { recursive: true, force: true });
  });

  async function writePgpass(name: string, lines: string[], mode = 0o600): Promise<string> {
    const file = join(home, name);
    await writeFile(file, `${lines.join('\n')}\n`);
    await chmod(file, mode);
    return file;
  }

  it('authenticates with scram-sha-256 through a password file', async () => {
    const { cluster } = handle;
    const passfile = await writePgpass('pgpass-app', [
      `127.0.0.1:${cluster.port}:postgres:postgres:not-this-one`,
      `127.0.0.1:${cluster.port}:*:app:${pgpassField(PASSWORD)}`,
    ]);
    const client = await openConnection(
      `host=127.0.0.1 port=${cluster.port} user=app dbname=postgres`,
      {
        env: { PGPASSFILE: passfile, HOME: home },
        applicationName: 'barkeep-test',
      },
    );
    const [row] = await withClient(client, (c) =>
      runQuery<{ who: string; app: string }>(
        c,
        `SELECT current_user AS who, current_setting('application_name') AS app`,
      ),
    );
    assert.equal(row?.who, 'app');
    assert.equal(row?.app, 'barkeep-test');
  });

  it('lets the conninfo application_name win over the caller default', async () => {
    const { cluster } = handle;
    const conninfo = `host=${cluster.socketDir} port=${cluster.port} user=postgres application_name=mine`;
    const client = await openConnection(conninfo, { env: {}, applicationName: 'barkeep' });
    const [row] = await withClient(client, (c) =>
      runQuery<{ app: string }>(c, `SELECT current_setting('application_name') AS app`),
    );
    assert.equal(row?.app, 'mine');
  });

  it('takes the password from the URI or PGPASSWORD', async () => {
    const { cluster } = handle;
    const uri = `postgresql://app:${encodeURIComponent(PASSWORD)}@127.0.0.1:${cluster.port}/postgres`;
    await (await openConnection(uri, { env: { HOME: home } })).end();
    const client = await openConnection(`host=127.0.0.1 port=${cluster.port} user=app`, {
      env: { HOME: home, PGPASSWORD: PASSWORD, PGDATABASE: 'postgres' },
    });
    await client.end();
  });

  it('connects over the unix socket, in keyword and URI form', async () => {
    const { cluster } = handle;
    const keyword = await openConnection(
      `host=${cluster.socketDir} port=${cluster.port} user=postgres`,
      {
        env: {},
      },
    );
    const [row] = await withClient(keyword, (c) =>
      runQuery<{ local: boolean }>(c, 'SELECT inet_server_addr() IS NULL AS local'),
    );
    assert.equal(row?.local, true);
    const uri = `postgresql://postgres@${encodeURIComponent(cluster.socketDir)}:${cluster.port}/postgres`;
    await (await openConnection(uri, { env: {} })).end();
  });

  it('reports a wrong password without showing it', async () => {
    const { cluster } = handle;
    const wrong = 'Wr0ng-P4ssw0rd!';
    const error = await rejectsConnection(
      openConnection(`host=127.0.0.1 port=${cluster.port} user=app password=${wrong}`, {
        env: { HOME: home },
      }),
      /password authentication failed for user "app"/,
      wrong,
    );
    assert.match(error.subject, /password=\*{8}/);
  });

  it('says which password file a rejected password came from', async () => {
    const { cluster } = handle;
    const passfile = await writePgpass('pgpass-stale', ['*:*:*:app:stale-password']);
    await rejectsConnection(
      openConnection(`host=127.0.0.1 port=${cluster.port} user=app dbname=postgres`, {
        env: { PGPASSFILE: passfile },
      }),
      new RegExp(`password authentication failed.*${passfile}`),
      'stale-password',
    );
  });

  it('ignores a password file readable by others, and says so', async () => {
    const { cluster } = handle;
    const passfile = await writePgpass(
      'pgpass-open',
      [`*:*:*:app:${pgpassField(PASSWORD)}`],
      0o644,
    );
    await rejectsConnection(
      openConnection(`host=127.0.0.1 port=${cluster.port} user=app dbname=postgres`, {
        env: { PGPASSFILE: passfile },
      }),
      /asked for a password but none was found.*has group or world access/,
    );
  });

  it('reports a database that does not exist', async () => {
    const { cluster } = handle;
    await rejectsConnection(
      openConnection(
        `host=${cluster.socketDir} port=${cluster.port} user=postgres dbname=nosuchdb`,
        {
          env: {},
        },
      ),
      /database "nosuchdb" does not exist/,
    );
  });

  it('refuses sslmode=require against a server without TLS; prefer falls back', async () => {
    const { cluster } = handle;
    const base = `host=127.0.0.1 port=${cluster.port} user=app dbname=postgres`;
    await rejectsConnection(
      openConnection(`${base} sslmode=require`, { env: { HOME: home, PGPASSWORD: PASSWORD } }),
      /does not accept TLS connections, and sslmode=require requires TLS/,
    );
    const client = await openConnection(`${base} sslmode=prefer`, {
      env: { HOME: home, PGPASSWORD: PASSWORD },
    });
    const [row] = await withClient(client, (c) =>
      runQuery<{ ssl: boolean }>(c, 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()'),
    );
    assert.equal(row?.ssl, false);
  });

  it('opens a physical replication connection that answers IDENTIFY_SYSTEM', async () => {
    const { cluster } = handle;
    const passfile = await writePgpass('pgpass-repl', [
      `127.0.0.1:${cluster.port}:postgres:streamer:wrong-database-field`,
      `127.0.0.1:${cluster.port}:replication:streamer:${REPL_PASSWORD}`,
    ]);
    const replication = await openConnection(`host=127.0.0.1 port=${cluster.port} user=streamer`, {
      env: { PGPASSFILE: passfile },
      replication: true,
    });
    const [identity] = await withClient(replication, (c) =>
      runQuery<{ systemid: string; timeline: number | string }>(c, 'IDENTIFY_SYSTEM'),
    );
    const regular = await openConnection(
      `host=${cluster.socketDir} port=${cluster.port} user=postgres`,
      {
        env: {},
      },
    );
    const facts = await withClient(regular, readServerFacts);
    assert.ok(identity !== undefined);
    assert.match(identity.systemid, /^\d+$/);
    assert.equal(identity.systemid, facts.systemIdentifier);
    assert.equal(Number(identity.timeline), 1);
  });

  it('maps a server error to postgresQuery with its SQLSTATE', async () => {
    const { cluster } = handle;
    const client = await openConnection(
      `host=${cluster.socketDir} port=${cluster.port} user=postgres`,
      {
        env: {},
      },
    );
    await withClient(client, async (c) => {
      await assert.rejects(runQuery(c, 'SELECT 1/0'), (error: unknown) => {
        assert.ok(isBarkeepError(error, 'postgresQuery'));
        assert.equal(error.subject, 'SELECT 1/0');
        assert.match(error.why, /division by zero \(SQLSTATE 22012\)/);
        return true;
      });
      const [row] = await runQuery<{ n: number }>(c, 'SELECT $1::int + 1 AS n', [41]);
      assert.equal(row?.n, 42);
    });
  });
});
