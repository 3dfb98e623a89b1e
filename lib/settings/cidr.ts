/** An IPv4 CIDR block read once: the settings (allowedCidrs, vpcCidr) and the network construct share it. */
export interface Ipv4Cidr {
  /** The four octets, each 0 to 255. */
  readonly octets: readonly [number, number, number, number];
  /** The prefix length, 0 to 32. */
  readonly prefix: number;
}

const IPV4_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** The block `a.b.c.d/n`, or undefined when the text is not one (an octet over 255, a prefix over 32). */
export function parseIpv4Cidr(text: string): Ipv4Cidr | undefined {
  const m = IPV4_CIDR.exec(text);
  if (!m) return undefined;
  const [a, b, c, d] = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if ([a, b, c, d].some((o) => o > 255) || prefix > 32) return undefined;
  return { octets: [a, b, c, d], prefix };
}
