import net from 'node:net';
import type { ProxySubnet } from '../rate-limit-config';

/** The address a request came from, given the socket's peer and its X-Forwarded-For header. */
export type ClientAddressOf = (peer: string | undefined, forwardedFor: string) => string;

/** A socket whose peer is unknown (it closed already): all such requests share one key. */
const UNKNOWN_PEER = 'unknown';

/**
 * Resolves the client's address behind trusted proxies. X-Forwarded-For is a list each proxy
 * appends its peer to, so only its right end is trustworthy: walking from the right, every address
 * a trusted proxy reports is taken, until one that is not a trusted proxy itself, which is the
 * client. An address a client wrote into the header is never reached unless every proxy after it is
 * trusted. A peer outside TRUSTED_PROXIES is the client, whatever it sends.
 */
export function clientAddressResolver(trustedProxies: readonly ProxySubnet[]): ClientAddressOf {
  const trusted = new net.BlockList();
  for (const subnet of trustedProxies) trusted.addSubnet(subnet.address, subnet.prefix, subnet.family);
  const isTrusted = (address: string): boolean => trusted.check(address, net.isIPv6(address) ? 'ipv6' : 'ipv4');
  return (peer, forwardedFor) => {
    let client = peer === undefined ? UNKNOWN_PEER : plainAddress(peer);
    if (trustedProxies.length === 0 || !net.isIP(client) || !isTrusted(client)) return client;
    const hops = forwardedFor.split(',').map((hop) => hop.trim()).filter((hop) => hop !== '');
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = plainAddress(hops[i] ?? '');
      // Not an address (a proxy's "unknown", a garbled header): the proxy that reported it is the
      // nearest thing to the client we can vouch for.
      if (!net.isIP(hop)) return client;
      client = hop;
      if (!isTrusted(hop)) return client;
    }
    return client;
  };
}

/**
 * An address as X-Forwarded-For or the socket may spell it, as a bare address: IPv4-mapped IPv6
 * (`::ffff:192.0.2.1`, how a dual-stack socket reports IPv4 peers) as IPv4, and without the port
 * some proxies append (`192.0.2.1:51234`, `[2001:db8::1]:51234`).
 */
export function plainAddress(text: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(text);
  const withPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(text);
  const address = bracketed?.[1] ?? withPort?.[1] ?? text;
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return mapped?.[1] ?? address;
}

/**
 * The key an address is counted under: an IPv4 address itself, an IPv6 address by its /64 network
 * (`2001:db8:0:1::/64`), since one subscriber is routinely given a whole /64 and could otherwise
 * take a fresh address for every few requests.
 */
export function addressKey(address: string): string {
  if (!net.isIPv6(address)) return address;
  const groups = ipv6Groups(address);
  return `${groups.slice(0, 4).map((group) => group.toString(16)).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address (`::` expanded; a trailing dotted IPv4 part read as two groups). */
function ipv6Groups(address: string): number[] {
  const dotted = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(address);
  let text = address;
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${address.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((group) => Number.parseInt(group, 16)));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  return [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
}
