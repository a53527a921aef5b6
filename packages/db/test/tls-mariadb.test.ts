/**
 * DB_TLS=rds: TLS required and verified against the Amazon RDS CA bundle shipped with the code.
 * The MariaDB here has TLS disabled (have_ssl=DISABLED), so the test proves the refusal side against
 * the real server: with `rds` the driver will not talk to a server that offers no TLS, where `off`
 * connects. The bundle itself is checked for the current RDS root CAs.
 */
import { X509Certificate } from 'node:crypto';
import type { DatabaseConfig } from '@annot/config';
import { createTestDatabase, mariaDbAvailable, type TestDatabase } from '@annot/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRepository } from '../src/index.ts';
import { tlsOptions } from '../src/mysql.ts';
import { mysqlConfig } from './helpers.ts';

describe('the RDS CA bundle', () => {
  const { ssl } = tlsOptions('rds');
  const certificates = (ssl?.ca ?? []).map((pem) => new X509Certificate(pem));
  const commonName = (c: X509Certificate) => /CN=([^\n]+)/.exec(c.subject)?.[1] ?? '';

  it('off adds no TLS option; rds requires a verified certificate', () => {
    expect(tlsOptions('off')).toEqual({});
    expect(tlsOptions(undefined)).toEqual({});
    expect(ssl?.rejectUnauthorized).toBe(true);
  });

  it.each(['us-east-1', 'eu-west-1', 'eu-central-1', 'ap-southeast-2'])(
    'holds the current root CAs of %s (rds-ca-rsa2048-g1, the default of new instances, among them)',
    (region) => {
      const names = certificates.map(commonName);
      for (const kind of ['RSA2048', 'RSA4096', 'ECC384'])
        expect(names).toContain(`Amazon RDS ${region} Root CA ${kind} G1`);
    },
  );

  it('whose G1 roots are valid today, the bundle being what the code ships (no download at run time)', () => {
    const g1 = certificates.filter((c) => / G1$/.test(commonName(c)));
    expect(g1.length).toBeGreaterThan(50);
    for (const c of g1) expect(new Date(c.validTo).getTime()).toBeGreaterThan(Date.now());
  });
});

type MySqlConfig = Extract<DatabaseConfig, { kind: 'mysql' }>;
const withTls = (url: string, tls: 'off' | 'rds'): MySqlConfig => ({
  ...(mysqlConfig(url) as MySqlConfig),
  tls,
});

describe.runIf(await mariaDbAvailable())('DB_TLS against a server without TLS', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('db_tls');
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('off connects in plain text', async () => {
    const repo = await openRepository({ database: withTls(db.url, 'off') });
    await expect(repo.ping()).resolves.toBeUndefined();
    await repo.close();
  });

  it('rds refuses to connect rather than fall back to plain text', async () => {
    await expect(openRepository({ database: withTls(db.url, 'rds') })).rejects.toThrow(
      /secure connection|SSL|TLS/i,
    );
  });
});
