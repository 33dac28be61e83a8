#!/usr/bin/env python3
"""Write a small pcap of Ethernet frames for the lab's vdev run.

The frames use documentation addresses only (198.18.0.0/15, 2001:db8::/32):
ARP requests, IPv4 and IPv6 UDP packets, and an LLDP frame, so every
classification path of the dataplane shows up in its counters.

    write_pcap.py OUTPUT.pcap [--count N]
"""
import argparse
import struct

PCAP_MAGIC = 0xA1B2C3D4
LINKTYPE_ETHERNET = 1


def ethernet(dst, src, ethertype, payload):
    frame = dst + src + struct.pack("!H", ethertype) + payload
    return frame.ljust(60, b"\x00")  # Minimum frame size without FCS.


def checksum(data):
    if len(data) % 2:
        data += b"\x00"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def ipv4_udp(src, dst, sport, dport, payload):
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0x4000, 64, 17, 0,
                         bytes(src), bytes(dst))
    header = header[:10] + struct.pack("!H", checksum(header)) + header[12:]
    return header + udp


def ipv6_udp(src, dst, sport, dport, payload):
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    return struct.pack("!IHBB16s16s", 6 << 28, len(udp), 17, 64, src, dst) + udp


def arp_request(sender_mac, sender_ip, target_ip):
    return struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, sender_mac, bytes(sender_ip),
                       b"\x00" * 6, bytes(target_ip))


def frames(count):
    client_mac = bytes.fromhex("020000000001")
    router_mac = bytes.fromhex("020000000002")
    broadcast = b"\xff" * 6
    client_v6 = bytes.fromhex("20010db8000000000000000000000010")
    server_v6 = bytes.fromhex("20010db8000100000000000000000080")
    lldp_mac = bytes.fromhex("0180c200000e")
    for i in range(count):
        kind = i % 4
        if kind == 0:
            payload = arp_request(client_mac, [198, 18, 0, 10], [198, 18, 0, 1])
            yield ethernet(broadcast, client_mac, 0x0806, payload)
        elif kind == 1:
            payload = ipv4_udp([198, 18, 0, 10], [198, 19, i % 256, 80], 40000 + i % 1000, 443,
                               b"lab")
            yield ethernet(router_mac, client_mac, 0x0800, payload)
        elif kind == 2:
            payload = ipv6_udp(client_v6, server_v6, 40000, 443, b"lab")
            yield ethernet(router_mac, client_mac, 0x86DD, payload)
        else:
            yield ethernet(lldp_mac, client_mac, 0x88CC, b"\x02\x07\x04" + client_mac)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output")
    parser.add_argument("--count", type=int, default=64)
    args = parser.parse_args()
    with open(args.output, "wb") as out:
        out.write(struct.pack("<IHHiIII", PCAP_MAGIC, 2, 4, 0, 0, 65535, LINKTYPE_ETHERNET))
        for i, frame in enumerate(frames(args.count)):
            out.write(struct.pack("<IIII", 1_700_000_000, i, len(frame), len(frame)))
            out.write(frame)


if __name__ == "__main__":
    main()
