import { parseIpv4Cidr } from '../../lib/settings/cidr';

describe('parseIpv4Cidr', () => {
  it.each([
    ['10.40.0.0/16', [10, 40, 0, 0], 16],
    ['0.0.0.0/0', [0, 0, 0, 0], 0],
    ['255.255.255.255/32', [255, 255, 255, 255], 32],
    ['203.0.113.7/24', [203, 0, 113, 7], 24],
  ])('reads %s', (text, octets, prefix) => {
    expect(parseIpv4Cidr(text)).toEqual({ octets, prefix });
  });

  it.each([
    '256.0.0.0/8',
    '10.0.0.0/33',
    '10.0.0/16',
    '10.0.0.0',
    ' 10.0.0.0/16',
    '10.0.0.0/16 ',
    '::/0',
    '',
  ])('refuses %j', (text) => {
    expect(parseIpv4Cidr(text)).toBeUndefined();
  });
});
