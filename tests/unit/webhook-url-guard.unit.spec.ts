/**
 * The SSRF guard (CONTRACT §6): which addresses are public, and what `check` refuses, with DNS
 * answers supplied by the test (no network). `TRACKER_ALLOW_PRIVATE_WEBHOOKS=1` relaxes it.
 */
import { describe, expect, it } from 'vitest';
import { createWebhookUrlGuard, refusedRangeOf } from '../../src/adapters/webhook-url-guard.ts';
import { WebhookUrlRefusedError } from '../../src/errors.ts';

describe('refusedRangeOf', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.254', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.10.10', 'linkLocal'],
    ['169.254.169.254', 'cloud metadata'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['100.127.255.254', 'carrierGradeNat'],
    ['0.0.0.0', 'unspecified'],
    ['255.255.255.255', 'broadcast'],
    ['224.0.0.1', 'multicast'],
    ['192.0.2.1', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'linkLocal'],
    ['fc00::1', 'uniqueLocal'],
    ['fd12:3456::1', 'uniqueLocal'],
    ['fd00:ec2::254', 'cloud metadata'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:10.1.2.3', 'private'],
    ['::ffff:169.254.169.254', 'cloud metadata'],
    ['::7f00:1', 'IPv4-compatible IPv6'],
    ['64:ff9b::a00:1', 'rfc6052'],
    ['2002:a00:1::1', '6to4'],
    ['not-an-ip', 'not an IP address'],
  ])('%s is refused (%s)', (address, why) => expect(refusedRangeOf(address)).toBe(why));

  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '169.253.1.1', '2606:4700:4700::1111', '2a00:1450:4001::200e', '::ffff:8.8.8.8'])(
    '%s is public',
    (address) => expect(refusedRangeOf(address)).toBeUndefined(),
  );
});

describe('createWebhookUrlGuard', () => {
  const dns = (answers: Record<string, string[]>) => async (host: string) => {
    const found = answers[host] ?? (refusedRangeOf(host) === 'not an IP address' ? undefined : [host]);
    if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return found.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  const guard = createWebhookUrlGuard({
    allowPrivate: false,
    resolve: dns({ 'hooks.example.com': ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'], 'mixed.example.com': ['93.184.215.14', '10.0.0.7'], 'localhost': ['127.0.0.1', '::1'] }),
  });
  const refused = async (url: string) => {
    const error = await guard.check(url).then(() => undefined, (e: unknown) => e);
    expect(error, url).toBeInstanceOf(WebhookUrlRefusedError);
    return (error as Error).message;
  };

  it('accepts https to a host whose every address is public, and pins the first', async () => {
    const target = await guard.check('https://hooks.example.com/tracker?x=1');
    expect(target).toMatchObject({ address: '93.184.215.14', family: 4 });
    expect(target.url.href).toBe('https://hooks.example.com/tracker?x=1');
  });

  it('refuses http, other schemes, credentials and garbage', async () => {
    expect(await refused('http://hooks.example.com/')).toMatch(/https/);
    expect(await refused('ftp://hooks.example.com/')).toMatch(/https/);
    expect(await refused('https://user:pw@hooks.example.com/')).toMatch(/credentials/);
    expect(await refused('not a url')).toMatch(/absolute URL/);
  });

  it('refuses IP literals and names resolving to internal addresses, naming the address', async () => {
    expect(await refused('https://127.0.0.1/')).toMatch(/127\.0\.0\.1 \(loopback\)/);
    expect(await refused('https://[::1]/')).toMatch(/::1 \(loopback\)/);
    expect(await refused('https://169.254.169.254/latest/meta-data')).toMatch(/cloud metadata/);
    expect(await refused('https://10.0.0.1/')).toMatch(/private/);
    expect(await refused('https://0x7f.1/')).toMatch(/loopback/); // the URL parser normalises it to 127.0.0.1
    expect(await refused('https://[::ffff:7f00:1]/')).toMatch(/loopback/);
    expect(await refused('https://localhost/')).toMatch(/loopback/);
    expect(await refused('https://mixed.example.com/')).toMatch(/10\.0\.0\.7 \(private\)/);
    expect(await refused('https://nowhere.example.com/')).toMatch(/does not resolve/);
  });

  it('with private webhooks allowed (local use), accepts http and loopback', async () => {
    const local = createWebhookUrlGuard({ allowPrivate: true, resolve: dns({ localhost: ['127.0.0.1'] }) });
    expect(await local.check('http://127.0.0.1:8080/hook')).toMatchObject({ address: '127.0.0.1', family: 4 });
    expect(await local.check('http://localhost:8080/hook')).toMatchObject({ address: '127.0.0.1' });
    await expect(local.check('ftp://127.0.0.1/')).rejects.toBeInstanceOf(WebhookUrlRefusedError);
  });
});
