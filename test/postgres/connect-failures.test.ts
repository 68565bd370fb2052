import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type BarkeepError, isBarkeepError } from '../../src/errors/barkeep-error.ts';
import { openConnection } from '../../src/postgres/connect.ts';

const PASSWORD = "s3cr:t\\pa'ss wörd";

/** A conninfo value in single quotes. */
function quoted(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

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

describe('openConnection without a server', () => {
  it('reports connection refused with host and port', async () => {
    const port = await unusedPort();
    await rejectsConnection(
      openConnection(`host=127.0.0.1 port=${port} user=x password=${quoted(PASSWORD)}`, {
        env: {},
      }),
      new RegExp(`connection refused at 127\\.0\\.0\\.1:${port}`),
    );
  });

  it('reports a missing unix socket', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'barkeep-nosock-'));
    try {
      await rejectsConnection(
        openConnection(`host=${dir} port=5999 user=x`, { env: {} }),
        /no server socket at ".*\/\.s\.PGSQL\.5999"/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('gives up after connect_timeout when the server never answers', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    const port = await listen(silent);
    try {
      const started = Date.now();
      await rejectsConnection(
        openConnection(`host=127.0.0.1 port=${port} user=x connect_timeout=2`, { env: {} }),
        new RegExp(`timeout after 2 s connecting to 127\\.0\\.0\\.1:${port}`),
      );
      assert.ok(Date.now() - started < 5000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('rejects a malformed conninfo as a configuration error', async () => {
    await assert.rejects(
      openConnection('host=h password=x bogus=1', { env: {} }),
      (error: unknown) => isBarkeepError(error, 'configInvalidValue') && /"bogus"/.test(error.why),
    );
  });
});

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : 0);
    });
  });
}

async function unusedPort(): Promise<number> {
  const server = createServer();
  const port = await listen(server);
  await new Promise((resolve) => server.close(resolve));
  return port;
}
