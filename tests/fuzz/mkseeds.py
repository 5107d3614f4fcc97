# mkseeds.py: writes the seed corpora of the fuzz targets (tests/fuzz/corpus/TARGET/):
# packets built here byte by byte with valid checksums, policy records over them, the
# captured ctnetlink messages of tests/unit/ct_fixtures.h, state files, lists, configs
# (conf/synguard.conf among them) and a stats body.  Run from anywhere:
# python3 tests/fuzz/mkseeds.py [DIR].  The corpora it wrote are in the tree.
import struct, os, sys
here = os.path.dirname(os.path.abspath(__file__))
top = os.path.join(here, '..', '..')
root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, 'corpus')
def csum(b):
    if len(b) % 2: b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b)//2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff
def tcp(sport, dport, seq, ack, flags, win, opts=b'', payload=b''):
    while len(opts) % 4: opts += b'\x01'
    off = (20 + len(opts)) // 4
    return struct.pack('!HHIIBBHHH', sport, dport, seq, ack, off << 4, flags, win, 0, 0) + opts + payload
def v4(src, dst, seg, frag=0, proto=6):
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(seg), 1, frag, 64, proto, 0, bytes(src), bytes(dst))
    ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
    if proto == 6 and len(seg) >= 20:
        ph = bytes(src) + bytes(dst) + struct.pack('!BBH', 0, 6, len(seg))
        c = csum(ph + seg[:16] + b'\0\0' + seg[18:])
        seg = seg[:16] + struct.pack('!H', c) + seg[18:]
    return ip + seg
def v6(src, dst, seg, nh=6, ext=b''):
    body = ext + seg
    ip = struct.pack('!IHBB16s16s', 6 << 28, len(body), nh, 64, bytes(src), bytes(dst))
    if len(seg) >= 20:
        ph = bytes(src) + bytes(dst) + struct.pack('!I3xB', len(seg), 6)
        c = csum(ph + seg[:16] + b'\0\0' + seg[18:])
        seg = seg[:16] + struct.pack('!H', c) + seg[18:]
    return ip + ext + seg
C4, S4 = [192,0,2,2], [203,0,113,2]
C6 = [0x20,0x01,0x0d,0xb8,0,1] + [0]*9 + [2]
S6 = [0x20,0x01,0x0d,0xb8,0,3] + [0]*9 + [2]
linux_opts = b'\x02\x04\x05\xb4\x04\x02\x08\x0a\x00\x01\x02\x03\x00\x00\x00\x00\x01\x03\x03\x07'
SYN, ACK, RST, FIN, PSH = 2, 16, 4, 1, 8
pk = {
 'syn4': v4(C4, S4, tcp(40000, 80, 1000, 0, SYN, 64240, linux_opts)),
 'syn6': v6(C6, S6, tcp(40000, 80, 1000, 0, SYN, 64240, linux_opts)),
 'syn4-mss': v4(C4, S4, tcp(40001, 443, 7, 0, SYN, 1024, b'\x02\x04\x02\x18')),
 'synack4': v4(S4, C4, tcp(80, 40000, 5000, 1001, SYN|ACK, 65160, b'\x02\x04\x05\xb4\x01\x01\x04\x02\x01\x03\x03\x07')),
 'ack4-data': v4(C4, S4, tcp(40000, 80, 1001, 5001, ACK|PSH, 502, b'', b'GET / HTTP/1.0\r\n\r\n')),
 'ack6': v6(C6, S6, tcp(40000, 80, 1001, 5001, ACK, 502, b'\x01\x01\x08\x0a' + b'\0'*8)),
 'rst4': v4(C4, S4, tcp(40000, 80, 123456, 0, RST, 0)),
 'rst6': v6(C6, S6, tcp(40000, 80, 123456, 0, RST, 0)),
 'fin4': v4(C4, S4, tcp(40000, 80, 1001, 5001, FIN|ACK, 502)),
 'frag4': v4(C4, S4, tcp(40000, 80, 1000, 0, SYN, 64240, linux_opts), frag=0x2000),
 'udp4': v4(C4, S4, b'\x9c\x40\x00\x35\x00\x08\x00\x00', proto=17),
 'hbh6': v6(C6, S6, tcp(40000, 80, 1000, 0, SYN, 64240, linux_opts), nh=0, ext=b'\x06\x00\x01\x04\x00\x00\x00\x00'),
 'badopt4': v4(C4, S4, tcp(40000, 80, 1000, 0, SYN, 64240, b'\x02\x09\x05\xb4')),
}
pk['trunc4'] = pk['syn4'][:30]
def put(target, name, data):
    d = os.path.join(root, target); os.makedirs(d, exist_ok=True)
    open(os.path.join(d, name), 'wb').write(data)
for n, b in pk.items(): put('fuzz_pkt', n, b)
# bpf: packets with a config byte after them (fuzz_bpf.c; fuzz_pkt's corpus
# is its seeds as well): every config, the source verified, VLAN tags, the
# other family's EtherType, echoed cookies, checksums left alone.
bp = dict((n, pk[n]) for n in ('syn4', 'syn6', 'syn4-mss', 'rst4', 'rst6', 'ack4-data', 'ack6', 'synack4', 'hbh6', 'fin4'))
bp['syn6-443'] = v6(C6, S6, tcp(40002, 443, 99, 0, SYN, 64240, linux_opts))
bp['syn4-8080'] = v4(C4, S4, tcp(40003, 8080, 5, 0, SYN, 64240, b'\x02\x04\x05\xb4'))
bp['syn4-noopt'] = v4(C4, S4, tcp(40004, 80, 6, 0, SYN, 1024))
bp['ack6-443'] = v6(C6, S6, tcp(40002, 443, 100, 5001, ACK, 502))
for n, b in bp.items():
    for cfg in range(5): put('fuzz_bpf', '%s-%d' % (n, cfg), b + bytes([cfg]))
for bits, name in ((0x08, 'verified'), (0x10, 'vlan1'), (0x20, 'vlan2'), (0x30, 'ethertype'), (0x80, 'raw')):
    put('fuzz_bpf', 'syn4-' + name, pk['syn4'] + bytes([bits]))
    put('fuzz_bpf', 'syn6-' + name, pk['syn6'] + bytes([bits | 1]))
for cfg in range(4):
    put('fuzz_bpf', 'rst4-echo-%d' % cfg, pk['rst4'] + bytes([0x40 | cfg]))
    put('fuzz_bpf', 'rst6-echo-prev-%d' % cfg, pk['rst6'] + bytes([0x40 | cfg, 1]))
    put('fuzz_bpf', 'ack4-echo-%d' % cfg, pk['ack4-data'] + bytes([0x40 | cfg]))
    put('fuzz_bpf', 'ack6-443-echo-%d' % cfg, bp['ack6-443'] + bytes([0x40 | cfg, 1]))
# policy: config byte, then records flags, dt, len16, packet
def rec(flags, dt, b): return bytes([flags, dt]) + struct.pack('!H', len(b)) + b
for cfg in range(5):
    put('fuzz_policy', 'auth-rst-%d' % cfg, bytes([cfg]) + rec(1, 1, pk['syn4']) + rec(3, 5, pk['rst4']) + rec(1, 1, pk['syn4']))
    put('fuzz_policy', 'proxy-%d' % cfg, bytes([cfg]) + rec(1, 1, pk['syn4']) + rec(3, 5, pk['ack4-data']) + rec(5, 2, pk['synack4']) + rec(3, 1, pk['ack4-data']) + rec(1, 1, pk['fin4']))
    put('fuzz_policy', 'v6-%d' % cfg, bytes([cfg]) + rec(1, 0, pk['syn6']) + rec(3, 9, pk['ack6']) + rec(3, 9, pk['rst6']) + rec(1, 200, pk['syn6']))
    put('fuzz_policy', 'flood-%d' % cfg, bytes([cfg]) + b''.join(rec(1, 0, pk['syn4'][:12] + bytes([198, 18, i, 1]) + pk['syn4'][16:]) for i in range(20)))
# netlink: the captured ctnetlink messages of tests/unit/ct_fixtures.h
import re
src = open(os.path.join(top, 'tests', 'unit', 'ct_fixtures.h')).read()
msgs = {}
for m in re.finditer(r'static const uint8_t (\w+)\[\d+\] = \{([^}]*)\}', src):
    msgs[m.group(1)] = bytes(int(x, 16) for x in re.findall(r'0x[0-9a-fA-F]{2}', m.group(2)))
for n, b in msgs.items(): put('fuzz_netlink', n, b)
put('fuzz_netlink', 'dump-all', b''.join(msgs.values()))
def nlerr(code, seq):
    return struct.pack('=IHHII', 36, 2, 0, seq, 0) + struct.pack('=i', code) + struct.pack('=IHHII', 16, 0, 0, seq, 0)
put('fuzz_netlink', 'errors', nlerr(0, 1) + nlerr(-17, 2) + nlerr(-2147483648, 3) + struct.pack('=IHHIIi', 20, 3, 2, 4, 0, 0))
# state files
put('fuzz_state', 'ok', b'synguard-state 1\n# verified sources: address/prefix, expiry in unix ms\n192.0.2.2/32 1800000000000\n2001:db8:1::/64 1800000000000\n198.51.100.0/24 1600000000000\nend 3\n')
put('fuzz_state', 'truncated', b'synguard-state 1\n192.0.2.2/32 1800000000000\n')
put('fuzz_state', 'empty', b'synguard-state 1\nend 0\n')
# lists and CIDRs
lst = b'# allow list\n192.0.2.0/24 198.51.100.7\n2001:db8::/32   2001:db8:1::2 # a host\n\n10.0.0.0/8\n'
put('fuzz_listfile', 'list', lst)
put('fuzz_listfile', 'bad', b'192.0.2.0/33\n2001:db8::/129 300.1.1.1\n')
put('fuzz_acl', 'cidrs', b'192.0.2.0/24\n198.51.100.7\n2001:db8::/32\n2001:db8:1::2\n0.0.0.0/0\n::/0\n192.0.2.1/24\n')
# configs
put('fuzz_conf', 'example', open(os.path.join(top, 'conf', 'synguard.conf'), 'rb').read())
put('fuzz_conf', 'proxy', b'mode = always\nchallenge = proxy\nservice = web 203.0.113.2:80 challenge=proxy wscale=7 mss=1400 sack=on\nservice = web6 [2001:db8:3::2]:443\nallow = 192.0.2.0/28\nlimit_syn_source = 200/s burst 400\naccel_interfaces = eth0 eth1\naccel_mode = xdp-generic\naccel_ports = 80,443,8000-8100\n')
put('fuzz_conf', 'adaptive', b'mode = adaptive\nattack_halfopen_high = 500\nattack_halfopen_low = 100\nattack_hold = 30s\nhalfopen_timeout = 5s\nkey_rotate = 60s\nverified_ttl = 1h\nlog_level = debug\n')
# render: a reply body
body = b''.join(b'%s %d\n' % (k.encode(), v) for k, v in [('packets', 12), ('syn', 5), ('challenges_sent', 3), ('cookies_valid', 1)])
body += b'mode always\nsvc_syns{service="web"} 17\nsvc_completion_ratio{service="web"} 0.9500\nsvc_attack{service="web6"} 1\n'
put('fuzz_render', 'stats', body)
put('fuzz_render', 'odd', b'a\n b  c\nx{y="\\"z"} 1e9\n\n{} -1\n')
# control: a setup byte (bit 0 admin, bits 1-2 the config), then chunks:
# length, flags (bit 0: the client read the replies so far), bytes.
def chunks(setup, *parts):
    out = bytes([setup])
    for flags, b in parts:
        for i in range(0, len(b), 255):
            out += bytes([len(b[i:i + 255]), flags]) + b[i:i + 255]
    return out
put('fuzz_control', 'session', chunks(1, (0, b'ping\nversion\n'), (1, b'stats\r\n'), (1, b'top\n'),
                                      (1, b'census\ncensus refresh\n'), (1, b'verify 192.0.2.9\n'),
                                      (1, b'unverify 192.0.2.9\nunverify 2001:db8::1\n'),
                                      (1, b'reload\nclear-counters\n'), (1, b'nonsense args\n\n')))
put('fuzz_control', 'not-admin', chunks(2, (0, b'verify 198.51.100.7\nreload\nstats\n'), (1, b'top\n')))
put('fuzz_control', 'split', chunks(7, (0, b'sta'), (0, b'ts\nver'), (1, b'ify 2001:db8:3::2\n'), (1, b'\tping   x\n')))
put('fuzz_control', 'long', chunks(1, (0, b'verify ' + b'1' * 600 + b'\n')))
# nfq: datagrams (2-byte little-endian length, bytes) of queue messages:
# packet messages with id, mark and payload (the packets above), an error.
def nla(t, b):
    n = 4 + len(b)
    return struct.pack('=HH', n, t) + b + b'\0' * ((-n) % 4)
def nfq_packet(pid, payload, mark=None, hdr=True):
    attrs = b''
    if hdr: attrs += nla(1, struct.pack('!IHB', pid, 0x0800, 1))   # NFQA_PACKET_HDR
    if mark is not None: attrs += nla(3, struct.pack('!I', mark))  # NFQA_MARK
    if payload is not None: attrs += nla(10, payload)              # NFQA_PAYLOAD
    body = struct.pack('!BBH', 2, 0, 7) + attrs                    # nfgenmsg, queue 7
    return struct.pack('=IHHII', 16 + len(body), (3 << 8) | 0, 0, 0, 0) + body
def dgram(*msgs):
    b = b''.join(msgs)
    return struct.pack('<H', len(b)) + b
pkts = list(pk.values())
put('fuzz_nfq', 'packets', dgram(*[nfq_packet(i + 1, pkts[i % len(pkts)], mark=i) for i in range(6)]) +
    dgram(nfq_packet(9, pkts[0]), nfq_packet(8, pkts[1]), nfq_packet(20, None), nfq_packet(21, pkts[2], hdr=False)))
put('fuzz_nfq', 'error', dgram(nlerr(-105, 1), nfq_packet(1, pkts[0])) + dgram(nfq_packet(0xffffffff, pkts[0]), nfq_packet(2, pkts[0])))
