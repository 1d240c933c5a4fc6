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
