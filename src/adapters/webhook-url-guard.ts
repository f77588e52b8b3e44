/**
 * SSRF guard for webhook URLs (CONTRACT §6): only `https`, and the host must resolve to public
 * addresses only. Every address of the host is checked (`dns.lookup` with `all: true`), and the
 * request is then made to the checked address itself (`WebhookTarget.address`), so a DNS answer
 * that changes between the check and the connection (rebinding) cannot reach an internal address.
 *
 * Range checks use `ipaddr.js`: an IPv4 address must be plain unicast (not loopback, private,
 * link-local, CGNAT, unspecified, broadcast, multicast or reserved); an IPv6 address must be plain
 * unicast too (not loopback, link-local, unique-local, multicast, …); IPv4-mapped and IPv4-embedding
 * IPv6 forms are judged by the IPv4 address inside or refused. Cloud metadata addresses
 * (169.254.169.254, fd00:ec2::254) fall in link-local and unique-local and are named explicitly.
 */
import { lookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';
import { WebhookUrlRefusedError } from '../errors.ts';
import type { WebhookTarget, WebhookUrlGuard } from '../ports.ts';

const METADATA = new Set(['169.254.169.254', 'fd00:ec2::254']);

/** Why an address may not be called, or `undefined` when it is public. */
export function refusedRangeOf(address: string): string | undefined {
  if (!ipaddr.isValid(address)) return 'not an IP address';
  let ip = ipaddr.parse(address);
  if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress()) ip = (ip as ipaddr.IPv6).toIPv4Address();
  if (METADATA.has(ip.toNormalizedString()) || METADATA.has(ip.toString())) return 'cloud metadata';
  const range = ip.range();
  if (range !== 'unicast') return range;
  // ::/96 (IPv4-compatible, deprecated) can carry an internal IPv4 address; ipaddr.js calls it unicast.
  if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).parts.slice(0, 6).every((p) => p === 0)) return 'IPv4-compatible IPv6';
  return undefined;
}

export interface UrlGuardOptions {
  /** `TRACKER_ALLOW_PRIVATE_WEBHOOKS=1`: `http://` and non-public addresses allowed (local use only). */
  allowPrivate: boolean;
  /** DNS resolution (tests replace it); defaults to `dns.promises.lookup(host, { all: true })`. */
  resolve?: (host: string) => Promise<{ address: string; family: number }[]>;
}

export function createWebhookUrlGuard(options: UrlGuardOptions): WebhookUrlGuard {
  const resolve = options.resolve ?? ((host: string) => lookup(host, { all: true, verbatim: true }));

  return {
    async check(text) {
      let url: URL;
      try {
        url = new URL(text);
      } catch {
        throw new WebhookUrlRefusedError('url must be an absolute URL.');
      }
      const schemes = options.allowPrivate ? ['https:', 'http:'] : ['https:'];
      if (!schemes.includes(url.protocol)) throw new WebhookUrlRefusedError('url must use https.');
      if (url.username || url.password) throw new WebhookUrlRefusedError('url must not carry credentials.');
      const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
      let addresses: { address: string; family: number }[];
      try {
        addresses = await resolve(host);
      } catch (error) {
        throw new WebhookUrlRefusedError(`url host ${host} does not resolve (${(error as { code?: string }).code ?? 'DNS error'}).`);
      }
      if (addresses.length === 0) throw new WebhookUrlRefusedError(`url host ${host} does not resolve.`);
      if (!options.allowPrivate) {
        for (const { address } of addresses) {
          const refused = refusedRangeOf(address);
          if (refused) throw new WebhookUrlRefusedError(`url host ${host} resolves to ${address} (${refused}); webhooks go to public addresses only.`);
        }
      }
      const first = addresses[0]!;
      return { url, address: first.address, family: first.family === 6 ? 6 : 4 };
    },
  };
}
