import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Why a webhook target is refused. Stable: the API returns it in `errors[].code` and the worker
 * records it as the delivery's last error.
 *
 * @example
 * ```ts
 * const code: WebhookTargetProblem = 'PRIVATE_ADDRESS';
 * ```
 */
export type WebhookTargetProblem =
  'INVALID_URL' | 'UNSUPPORTED_PROTOCOL' | 'USERINFO' | 'PRIVATE_ADDRESS' | 'INTERNAL_HOSTNAME';

/**
 * Options shared by every check of this package.
 *
 * @example
 * ```ts
 * const options: WebhookTargetOptions = { allowPrivate: process.env.WEBHOOK_ALLOW_PRIVATE_TARGETS === 'true' };
 * ```
 */
export interface WebhookTargetOptions {
  /**
   * Let webhooks reach loopback, private, link-local and internal hosts (local development
   * only: a receiver on 127.0.0.1). Protocol and userinfo rules still hold.
   */
  allowPrivate: boolean;
}

/**
 * A webhook target was refused: at registration (the URL), or at delivery (the address the
 * host name resolved to, checked before the connection is opened).
 *
 * @example
 * ```ts
 * try { assertWebhookUrl(url, { allowPrivate: false }); }
 * catch (e) { if (isWebhookTargetError(e)) console.log(e.problem); }
 * ```
 */
export class WebhookTargetError extends Error {
  override readonly name = 'WebhookTargetError';
  constructor(
    readonly problem: WebhookTargetProblem,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Narrows `e` to a {@link WebhookTargetError}.
 *
 * @example
 * ```ts
 * if (isWebhookTargetError(error)) giveUp(error.problem);
 * ```
 */
export function isWebhookTargetError(e: unknown): e is WebhookTargetError {
  return e instanceof WebhookTargetError;
}

/**
 * True when `address` (an IPv4 or IPv6 literal) is a public unicast address. Everything else is
 * refused: loopback, private (RFC 1918), unique-local, link-local (cloud metadata lives at
 * 169.254.169.254), carrier-grade NAT, multicast, broadcast, unspecified, reserved and
 * documentation ranges, and IPv6 forms that embed an IPv4 address (IPv4-mapped, NAT64, 6to4,
 * Teredo), which the mapped IPv4 would have to pass on its own. ipaddr.js keeps the IANA
 * special-purpose registries, which a hand-written list of ranges would let drift.
 *
 * @example
 * ```ts
 * isPublicAddress('93.184.216.34'); // true
 * isPublicAddress('::ffff:127.0.0.1'); // false
 * ```
 */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress())
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  return parsed.range() === 'unicast';
}

/** Names that only mean something inside a network (RFC 6761, RFC 8375, cloud metadata). */
const INTERNAL_SUFFIXES = ['.localhost', '.local', '.internal', '.home.arpa', '.localdomain'];
const INTERNAL_NAMES = new Set(['localhost', 'metadata', 'instance-data']);

function isInternalHostname(host: string): boolean {
  // A single label (`redis`, `postgres`) resolves through the local search domain only.
  if (!host.includes('.')) return true;
  if (INTERNAL_NAMES.has(host)) return true;
  return INTERNAL_SUFFIXES.some((suffix) => host.endsWith(suffix));
}

/**
 * Checks a webhook URL the way the service registers and delivers it: `http:`/`https:` only,
 * no `user:pass@` (it would be stored and logged), and, unless `allowPrivate`, a host that is
 * a public IP literal or a public-looking DNS name. The WHATWG URL parser normalises every
 * IPv4 spelling first (`0x7f000001`, `2130706433`, `0177.0.0.1` all become `127.0.0.1`), so
 * they cannot slip past as names. A DNS name is checked again on the address it resolves to
 * at delivery ({@link createGuardedLookup}).
 *
 * @throws {WebhookTargetError}
 * @example
 * ```ts
 * const url = assertWebhookUrl('https://hooks.example.com/waiaas', { allowPrivate: false });
 * ```
 */
export function assertWebhookUrl(raw: string, options: WebhookTargetOptions): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new WebhookTargetError('INVALID_URL', 'the URL does not parse');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new WebhookTargetError('UNSUPPORTED_PROTOCOL', 'the URL must use http or https');
  if (url.username !== '' || url.password !== '')
    throw new WebhookTargetError('USERINFO', 'the URL must not carry a user name or password');
  if (options.allowPrivate) return url;

  const host = url.hostname.toLowerCase().replace(/\.$/, '');
  const literal = host.startsWith('[') ? host.slice(1, -1) : host;
  if (ipaddr.isValid(literal)) {
    if (!isPublicAddress(literal))
      throw new WebhookTargetError(
        'PRIVATE_ADDRESS',
        `the URL points at a non-public address (${literal})`,
      );
    return url;
  }
  if (isInternalHostname(host))
    throw new WebhookTargetError(
      'INTERNAL_HOSTNAME',
      'the URL points at an internal host name (localhost, a single label, .internal, .local, metadata)',
    );
  return url;
}

/**
 * A `net.connect` lookup that resolves like the default one and refuses the connection when
 * any resolved address is not public ({@link isPublicAddress}). The socket then connects to
 * exactly the address that was checked, so a DNS answer that changes between registration and
 * delivery (DNS rebinding) cannot reach an internal host.
 *
 * @example
 * ```ts
 * const agent = new Agent({ connect: { lookup: createGuardedLookup() } });
 * ```
 */
export function createGuardedLookup(resolve: typeof dnsLookup = dnsLookup): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) {
        callback(error, '', 0);
        return;
      }
      const refused = addresses.find((a) => !isPublicAddress(a.address));
      if (refused !== undefined || addresses.length === 0) {
        callback(
          new WebhookTargetError(
            'PRIVATE_ADDRESS',
            `${hostname} resolved to a non-public address (${refused?.address ?? 'none'})`,
          ),
          '',
          0,
        );
        return;
      }
      if (options.all === true) {
        (callback as unknown as (e: null, all: LookupAddress[]) => void)(null, addresses);
        return;
      }
      const first = addresses[0]!;
      callback(null, first.address, first.family);
    });
  };
}
