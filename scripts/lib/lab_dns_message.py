#!/usr/bin/env python3
"""Builds DNS queries and reads DNS responses in wire format for the lab's
DNS-over-HTTPS checks, which send them with curl and nghttp.

    lab_dns_message.py query NAME TYPE FILE
        writes a query for NAME and TYPE (A or AAAA) to FILE and prints it
        base64url-encoded without padding, the form of the dns= parameter
        of a DoH GET request (RFC 8484 section 4.1)
    lab_dns_message.py read FILE
        prints the response's rcode (NOERROR, REFUSED, ...) on the first
        line, then each A and AAAA address of the answer section

Exits 1 with the reason on stderr when FILE is not a complete DNS message.
"""

import base64
import ipaddress
import struct
import sys

RRTYPES = {"A": 1, "AAAA": 28}
RCODE_NAMES = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"]
HEADER = struct.Struct("!HHHHHH")
RR_FIXED = struct.Struct("!HHIH")  # type, class, TTL, RDLENGTH after the owner name


def build_query(name, rrtype):
    # ID 0, as RFC 8484 section 4.1 recommends so that HTTP caches can share
    # GET responses. Flags 0x0100 sets RD, and the one question is class IN.
    header = HEADER.pack(0, 0x0100, 1, 0, 0, 0)
    labels = [label.encode("ascii") for label in name.rstrip(".").split(".")]
    qname = b"".join(bytes([len(label)]) + label for label in labels) + b"\0"
    return header + qname + struct.pack("!HH", RRTYPES[rrtype], 1)


def skip_name(message, offset):
    """Returns the offset just past the (possibly compressed) name at offset."""
    while True:
        length = message[offset]
        if length == 0:
            return offset + 1
        if length & 0xC0 == 0xC0:
            return offset + 2
        offset += 1 + length


def read_response(message):
    """Returns the rcode name followed by the answer section's addresses."""
    _, flags, qdcount, ancount, _, _ = HEADER.unpack_from(message)
    rcode = flags & 0x000F
    lines = [RCODE_NAMES[rcode] if rcode < len(RCODE_NAMES) else f"RCODE{rcode}"]
    offset = HEADER.size
    for _ in range(qdcount):
        offset = skip_name(message, offset) + 4  # QTYPE and QCLASS
    for _ in range(ancount):
        offset = skip_name(message, offset)
        rrtype, _, _, rdlength = RR_FIXED.unpack_from(message, offset)
        offset += RR_FIXED.size
        rdata = message[offset:offset + rdlength]
        if len(rdata) != rdlength:
            raise ValueError("an answer record runs past the end of the message")
        if rrtype in RRTYPES.values():
            lines.append(str(ipaddress.ip_address(rdata)))
        offset += rdlength
    return lines


def main(argv):
    if len(argv) == 5 and argv[1] == "query" and argv[3] in RRTYPES:
        query = build_query(argv[2], argv[3])
        with open(argv[4], "wb") as out:
            out.write(query)
        print(base64.urlsafe_b64encode(query).decode("ascii").rstrip("="))
        return 0
    if len(argv) == 3 and argv[1] == "read":
        with open(argv[2], "rb") as response:
            message = response.read()
        try:
            lines = read_response(message)
        except (IndexError, struct.error, ValueError) as error:
            print(f"{argv[2]}: not a complete DNS message ({len(message)} bytes): {error}",
                  file=sys.stderr)
            return 1
        print("\n".join(lines))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
