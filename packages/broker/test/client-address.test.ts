import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { addressKey, clientAddress, MAX_ADDRESS_KEY } from "../src/client-address.js";

describe("client addresses", () => {
  it("normalise: IPv4 as dotted quads (also mapped, bracketed or with a port), IPv6 by /64", () => {
    expect(addressKey("203.0.113.5")).toBe("203.0.113.5");
    expect(addressKey("::ffff:203.0.113.5")).toBe("203.0.113.5");
    expect(addressKey("::FFFF:cb00:7105")).toBe("203.0.113.5");
    expect(addressKey(" 203.0.113.5:4431 ")).toBe("203.0.113.5");
    expect(addressKey("[2001:db8::1]:443")).toBe("2001:db8:0:0::/64");
    expect(addressKey("2001:DB8:0:0:1::1")).toBe("2001:db8:0:0::/64");
    expect(addressKey("fe80::1%eth0")).toBe("fe80:0:0:0::/64");
    for (const junk of ["", "unknown", "999.1.1.1", "a".repeat(8000), "1.2.3.4.5", "[::1"])
      expect(addressKey(junk)).toBeUndefined();
  });

  it("no proxy: the peer, whatever the header says", () => {
    const of = clientAddress(false);
    expect(of("198.51.100.1", "203.0.113.9")).toBe("198.51.100.1");
    expect(of(undefined, "203.0.113.9")).toBe("unknown");
  });

  it("N proxies: N hops from the right; short chains give the leftmost; junk is charged to the hop that reported it", () => {
    expect(clientAddress(1)("10.0.0.1", "6.6.6.6, 198.51.100.7")).toBe("198.51.100.7");
    expect(clientAddress(2)("10.0.0.1", "6.6.6.6, 198.51.100.7, 10.0.0.9")).toBe("198.51.100.7");
    expect(clientAddress(3)("10.0.0.1", "198.51.100.7, 10.0.0.9")).toBe("198.51.100.7");
    expect(clientAddress(1)("10.0.0.1", "6.6.6.6, not-an-address")).toBe("10.0.0.1");
    expect(clientAddress(2)("10.0.0.1", "junk, 10.0.0.9")).toBe("10.0.0.9");
    expect(clientAddress(1)("10.0.0.1", undefined)).toBe("10.0.0.1");
    expect(clientAddress(true)("10.0.0.1", "6.6.6.6, 198.51.100.7")).toBe("198.51.100.7");
  });

  it("listed proxies: the rightmost hop not among them, and only when the peer is one", () => {
    const of = clientAddress(["10.0.0.0/8", "2001:db8:ffff::/48", "127.0.0.1"]);
    expect(of("10.1.1.1", "6.6.6.6, 198.51.100.7, 10.0.0.9")).toBe("198.51.100.7");
    expect(of("127.0.0.1", "198.51.100.7")).toBe("198.51.100.7");
    expect(of("::ffff:127.0.0.1", "198.51.100.7")).toBe("198.51.100.7");
    expect(of("2001:db8:ffff::1", "2001:db8:1:2::3")).toBe("2001:db8:1:2::/64");
    expect(of("192.0.2.1", "198.51.100.7")).toBe("192.0.2.1");
    expect(of("10.1.1.1", "10.0.0.3, 10.0.0.9")).toBe("10.0.0.3");
    expect(of("10.1.1.1", "6.6.6.6, garbage, 10.0.0.9")).toBe("10.0.0.9");
  });

  it("any header and peer give a short key and never throw (property)", () => {
    const part = fc.oneof(
      fc.ipV4(),
      fc.ipV6(),
      fc.ipV4Extended(),
      fc.string({ maxLength: 60 }),
      fc.constantFrom("[::1]:80", "1.2.3.4:5", "", " "),
    );
    const trusts = [false, 1, 2, 5, ["10.0.0.0/8", "::1/128"]] as const;
    fc.assert(
      fc.property(
        fc.option(part, { nil: undefined }),
        fc.option(
          fc.array(part, { maxLength: 40 }).map((a) => a.join(",")),
          { nil: undefined },
        ),
        fc.constantFrom(...trusts),
        (peer, forwarded, trust) => {
          const key = clientAddress(trust)(peer, forwarded);
          expect(key.length).toBeLessThanOrEqual(MAX_ADDRESS_KEY);
          expect(key === "unknown" || addressKey(key.replace("::/64", "::")) !== undefined).toBe(true);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("every IPv6 address of one /64 is one client; every spelling of an IPv4 address is one client (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }), (parts) => {
        const full = parts.map((p) => p.toString(16)).join(":");
        const other = [...parts.slice(0, 4), 1, 2, 3, 4].map((p) => p.toString(16)).join(":");
        expect(addressKey(full)).toBe(addressKey(other));
        expect(addressKey(full.toUpperCase())).toBe(addressKey(full));
      }),
    );
    fc.assert(
      fc.property(fc.ipV4(), (ip) => {
        const [a, b, c, d] = ip.split(".").map(Number) as [number, number, number, number];
        const mapped = `::ffff:${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
        expect(addressKey(mapped)).toBe(ip);
        expect(addressKey(`::ffff:${ip}`)).toBe(ip);
      }),
    );
  });
});
