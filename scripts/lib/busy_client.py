#!/usr/bin/env python3
"""A bounded long-lived connection for the lab's expiry step: connects from
SOURCE to the echo service at SERVER, sends one line every INTERVAL seconds
for DURATION seconds, and checks that each line comes back.

    busy_client.py SOURCE SERVER [--port 7] [--duration 8] [--interval 0.5]

Exits 0 when every line came back, 1 with the reason when the connection
failed, timed out or closed early.
"""

import argparse
import socket
import sys
import time


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("source")
    parser.add_argument("server")
    parser.add_argument("--port", type=int, default=7)
    parser.add_argument("--duration", type=float, default=8.0, help="seconds")
    parser.add_argument("--interval", type=float, default=0.5, help="seconds")
    args = parser.parse_args()

    family = socket.AF_INET6 if ":" in args.server else socket.AF_INET
    started = time.monotonic()
    sent = 0
    try:
        with socket.socket(family, socket.SOCK_STREAM) as connection:
            connection.settimeout(2.0)
            connection.bind((args.source, 0))
            connection.connect((args.server, args.port))
            reader = connection.makefile("rb")
            while time.monotonic() - started < args.duration:
                line = f"line {sent} at {time.monotonic() - started:.1f}s\n".encode()
                connection.sendall(line)
                if reader.readline() != line:
                    raise ConnectionError("the echo service closed the connection")
                sent += 1
                time.sleep(args.interval)
    except OSError as error:
        elapsed = time.monotonic() - started
        print(f"busy_client: failed after {sent} lines and {elapsed:.1f}s: {error}",
              file=sys.stderr)
        return 1
    print(f"busy_client: {sent} lines echoed over {time.monotonic() - started:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
