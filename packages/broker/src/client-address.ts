import ipaddr from "ipaddr.js";

/**
 * Which `X-Forwarded-For` hops to believe. `false`: none (the socket's peer is the client). A number: that
 * many reverse proxies stand in front of the broker and each appends the address it saw, so the client is
 * that many entries from the right (the broker must be reachable only through them). A list of addresses
 * or CIDR ranges: the proxies' own addresses; the client is the rightmost hop that is not one of them,
 * and the header is read only when the socket's peer is one of them.
 */
export type TrustProxy = false | number | readonly string[];

/** Longest key a caller can make: an IPv6 /64 prefix (`ffff:ffff:ffff:ffff::/64`) is 24 characters. */
export const MAX_ADDRESS_KEY = 24;
const UNKNOWN = "unknown";
// Hops read from the right, at most: a longer header is never scanned further (its left is the client's).
const MAX_HOPS = 32;
// A canonical dotted quad (what Node reports for a peer): no leading zeros, each part at most 255.
const OCTET = "(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
const CANONICAL_IPV4 = new RegExp(`^(?:::ffff:)?(${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET})$`, "i");

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

/**
 * Turns a trust setting into the function that names a request's client: a short, normalised key for rate
 * limits. IPv4 addresses are keyed as dotted quads (IPv4-mapped IPv6 as the IPv4 address), IPv6 by their
 * /64 prefix (one subscriber usually holds a whole /64), anything unparseable by the nearest hop that
 * reported it. Keys are never longer than `MAX_ADDRESS_KEY`.
 *
 * @example clientAddress(1)("10.0.0.2", "198.51.100.7, 203.0.113.9") // "203.0.113.9"
 */
export function clientAddress(
  trust: TrustProxy | true,
): (peer: string | undefined, forwarded: string | undefined) => string {
  if (trust === false || trust === 0) return (peer) => addressKey(peer) ?? UNKNOWN;
  if (trust === true || typeof trust === "number") {
    const hops = trust === true ? 1 : trust;
    return (peer, forwarded) => {
      const fallback = addressKey(peer) ?? UNKNOWN;
      if (!forwarded) return fallback;
      // chain = [...forwarded, peer]; the client is `hops` entries left of the peer, or the leftmost.
      let nearer = fallback;
      let end = forwarded.length;
      for (let i = 1; i <= Math.min(hops, MAX_HOPS); i++) {
        const start = forwarded.lastIndexOf(",", end - 1);
        const key = addressKey(forwarded.slice(start + 1, end));
        // An entry that is not an address is charged to the hop that reported it.
        if (key === undefined) return nearer;
        if (i === hops || start < 0) return key;
        nearer = key;
        end = start;
      }
      return nearer;
    };
  }
  const ranges: Range[] = trust.map(parseRange);
  const trusted = (key: string | undefined, raw: string | undefined): boolean => {
    if (key === undefined || raw === undefined) return false;
    const address = parseAddress(raw);
    return address !== undefined && ranges.some((r) => address.kind() === r[0].kind() && address.match(r));
  };
  return (peer, forwarded) => {
    const fallback = addressKey(peer) ?? UNKNOWN;
    if (!forwarded || !trusted(fallback, peer)) return fallback;
    let nearer = fallback;
    let end = forwarded.length;
    for (let i = 0; i < MAX_HOPS; i++) {
      const start = forwarded.lastIndexOf(",", end - 1);
      const raw = forwarded.slice(start + 1, end);
      const key = addressKey(raw);
      if (key === undefined) return nearer;
      if (!trusted(key, raw) || start < 0) return key;
      nearer = key;
      end = start;
    }
    return nearer;
  };
}

/** Checks a `BROKER_TRUST_PROXY` list entry: an address or a CIDR range. */
export function isAddressOrRange(text: string): boolean {
  const t = text.trim();
  return ipaddr.isValidCIDR(t) || ipaddr.isValid(t);
}

function parseRange(text: string): Range {
  const t = text.trim();
  if (ipaddr.isValidCIDR(t)) {
    const [address, bits] = ipaddr.parseCIDR(t);
    return address.kind() === "ipv6" && (address as ipaddr.IPv6).isIPv4MappedAddress()
      ? [(address as ipaddr.IPv6).toIPv4Address(), Math.max(0, bits - 96)]
      : [address, bits];
  }
  const address = ipaddr.process(t);
  return [address, address.kind() === "ipv4" ? 32 : 128];
}

/** An address from a header or socket, without brackets or a port; IPv4-mapped IPv6 as IPv4. */
function parseAddress(text: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  let t = text.trim();
  if (t.length === 0 || t.length > 64) return undefined;
  if (t.startsWith("[")) {
    const close = t.indexOf("]");
    if (close < 0) return undefined;
    t = t.slice(1, close);
  } else if (t.indexOf(":") > 0 && t.indexOf(":") === t.lastIndexOf(":")) t = t.slice(0, t.indexOf(":"));
  try {
    return ipaddr.process(t);
  } catch {
    return undefined;
  }
}

/**
 * The rate-limit key of one address: a dotted quad, or an IPv6 /64 prefix; undefined when it is not an
 * address.
 *
 * @example addressKey("2001:db8:1:2:aaaa::1") // "2001:db8:1:2::/64"
 */
export function addressKey(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  // Node reports peers canonically: the common IPv4 cases (also as a dual-stack socket's mapped address)
  // need no parsing.
  const quad = CANONICAL_IPV4.exec(text);
  if (quad) return quad[1];
  const address = parseAddress(text);
  if (address === undefined) return undefined;
  if (address.kind() === "ipv4") return address.toString();
  const parts = (address as ipaddr.IPv6).parts;
  return `${parts
    .slice(0, 4)
    .map((p) => p.toString(16))
    .join(":")}::/64`;
}
