import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { TLSSocket } from 'node:tls';
import { isBarkeepError } from '../../src/errors/barkeep-error.ts';
import { openConnection, runQuery } from '../../src/postgres/connect.ts';
import { lookupOsUser, useCluster } from '../support/cluster.ts';

/** A throwaway CA, a server certificate it signed (for the name db.example only) and a stranger CA. */
function makeCertificates(): {
  dir: string;
  ca: string;
  otherCa: string;
  cert: string;
  key: string;
} {
  const dir = mkdtempSync(join(tmpdir(), 'barkeep-tls-'));
  chmodSync(dir, 0o755);
  const path = (name: string): string => join(dir, name);
  const openssl = (...args: string[]): void => {
    execFileSync('openssl', args, { stdio: 'ignore' });
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  for (const name of ['ca', 'other-ca']) {
    const subject = `/CN=barkeep test ${name}`;
    openssl(
      'req',
      '-x509',
      ...ec,
      '-days',
      '2',
      '-subj',
      subject,
      '-keyout',
      path(`${name}.key`),
      '-out',
      path(`${name}.crt`),
    );
  }
  openssl(
    'req',
    ...ec,
    '-keyout',
    path('server.key'),
    '-out',
    path('server.csr'),
    '-subj',
    '/CN=db.example',
  );
  writeFileSync(path('san.ext'), 'subjectAltName=DNS:db.example\n');
  openssl(
    'x509',
    '-req',
    '-in',
    path('server.csr'),
    '-CA',
    path('ca.crt'),
    '-CAkey',
    path('ca.key'),
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    path('san.ext'),
    '-out',
    path('server.crt'),
  );
  chmodSync(path('server.key'), 0o600);
  if (process.getuid?.() === 0) {
    const account = lookupOsUser('postgres');
    chownSync(path('server.key'), account.uid, account.gid);
  }
  return {
    dir,
    ca: path('ca.crt'),
    otherCa: path('other-ca.crt'),
    cert: path('server.crt'),
    key: path('server.key'),
  };
}

const hasOpenssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('openConnection with TLS', {
  skip: hasOpenssl ? false : 'openssl is not installed',
}, () => {
  const certificates = hasOpenssl ? makeCertificates() : undefined;
  const handle = useCluster({
    settings: certificates
      ? { ssl: true, ssl_cert_file: certificates.cert, ssl_key_file: certificates.key }
      : {},
    hbaLines: [
      'hostnossl all plainonly 127.0.0.1/32 trust',
      'hostssl all plainonly 127.0.0.1/32 reject',
      'hostssl all all 127.0.0.1/32 trust',
      'hostssl replication all 127.0.0.1/32 trust',
      'hostnossl all all 127.0.0.1/32 reject',
    ],
    label: 'tls',
  });
  const env = { HOME: certificates?.dir ?? '/nonexistent' };

  after(() => {
    if (certificates) rmSync(certificates.dir, { recursive: true, force: true });
  });

  async function usesTls(conninfo: string): Promise<boolean> {
    const client = await openConnection(conninfo, { env });
    try {
      const [row] = await runQuery<{ ssl: boolean }>(
        client,
        'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
      );
      return row?.ssl ?? false;
    } finally {
      await client.end();
    }
  }

  function base(user = 'postgres'): string {
    return `host=127.0.0.1 port=${handle.cluster.port} user=${user} dbname=postgres`;
  }

  it('uses TLS with require and prefer', async () => {
    await handle.cluster.query('CREATE ROLE plainonly LOGIN');
    assert.equal(await usesTls(`${base()} sslmode=require`), true);
    assert.equal(await usesTls(`${base()} sslmode=prefer`), true);
  });

  it('opens replication connections over TLS (their reads go through the TLS socket)', async () => {
    const client = await openConnection(`${base()} sslmode=require`, { env, replication: true });
    try {
      assert.ok(client.connection.stream instanceof TLSSocket);
      const result = await client.query('IDENTIFY_SYSTEM');
      assert.equal(Number((result.rows[0] as { timeline: string }).timeline), 1);
    } finally {
      await client.end();
    }
  });

  it('prefer falls back to plain when pg_hba.conf rejects the TLS attempt', async () => {
    assert.equal(await usesTls(`${base('plainonly')} sslmode=prefer`), false);
  });

  it('allow tries plain first, then TLS when pg_hba.conf rejects plain', async () => {
    assert.equal(await usesTls(`${base('plainonly')} sslmode=allow`), false);
    assert.equal(await usesTls(`${base()} sslmode=allow`), true);
  });

  it('disable does not retry with TLS', async () => {
    await assert.rejects(openConnection(`${base()} sslmode=disable`, { env }), (error: unknown) => {
      assert.ok(isBarkeepError(error, 'postgresConnection'));
      assert.match(error.why, /pg_hba\.conf rejects connection/);
      return true;
    });
  });

  it('verify-ca checks the chain but not the host name', async () => {
    const ca = certificates?.ca ?? '';
    assert.equal(await usesTls(`${base()} sslmode=verify-ca sslrootcert=${ca}`), true);
    assert.equal(await usesTls(`${base()} sslmode=require sslrootcert=${ca}`), true);
  });

  it('verify-full also checks the host name', async () => {
    const ca = certificates?.ca ?? '';
    await assert.rejects(
      openConnection(`${base()} sslmode=verify-full sslrootcert=${ca}`, { env }),
      (error: unknown) => {
        assert.ok(isBarkeepError(error, 'postgresConnection'));
        assert.match(error.why, /certificate was not accepted \(sslmode=verify-full\)/);
        return true;
      },
    );
  });

  it('rejects a server certificate from another CA', async () => {
    const other = certificates?.otherCa ?? '';
    for (const mode of ['verify-ca', 'require']) {
      await assert.rejects(
        openConnection(`${base()} sslmode=${mode} sslrootcert=${other}`, { env }),
        (error: unknown) => {
          assert.ok(isBarkeepError(error, 'postgresConnection'));
          assert.match(error.why, /certificate was not accepted/);
          return true;
        },
      );
    }
  });

  it('needs a root certificate for verify-ca', async () => {
    await assert.rejects(
      openConnection(`${base()} sslmode=verify-ca`, { env }),
      (error: unknown) => {
        assert.ok(isBarkeepError(error, 'postgresConnection'));
        assert.match(
          error.why,
          /root certificate file does not exist: ".*\.postgresql\/root\.crt"/,
        );
        return true;
      },
    );
  });
});
