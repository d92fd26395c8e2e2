import { isLoopback } from './serveConfig.js';

/**
 * DNS rebinding: a page on evil.example whose name is made to resolve to 127.0.0.1 reaches a daemon on
 * loopback, with its own name in the Host header. A daemon bound to loopback therefore answers only Host
 * headers that name this machine (localhost, 127.x.y.z, [::1]) or an `allowedHosts` entry. Bound elsewhere,
 * the token guards it, and `allowedHosts`, when given, still limits the names.
 */
export function hostHeaderAllowed(hostHeader: string | undefined, boundHost: string, allowedHosts: readonly string[]): boolean {
  const name = hostName(hostHeader);
  if (name === undefined) return false;
  if (allowedHosts.some((h) => h.toLowerCase() === name)) return true;
  if (isLoopback(boundHost)) return name === 'localhost' || name.endsWith('.localhost') || isLoopback(name);
  return allowedHosts.length === 0;
}

/** The host name of a Host header, lower-case, without the port or an IPv6 address's brackets. */
function hostName(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const h = header.trim().toLowerCase();
  const v6 = /^\[([0-9a-f:.]+)\](?::\d+)?$/.exec(h);
  if (v6) return v6[1];
  const m = /^([a-z0-9._-]+)(?::\d+)?$/.exec(h);
  return m?.[1];
}
