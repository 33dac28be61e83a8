#!/usr/bin/env python3
"""The lab's web servers: HTTP on port 80 and a line echo service on port 7
of every address given, all in one process.

Each HTTP response names the address that served it, so the lab can check
which server a client reached. The echo service carries the lab's long-lived
connection: a client that keeps sending lines keeps its flow in use.

    lab_servers.py ADDRESS [ADDRESS ...]

Runs until SIGTERM or SIGINT.
"""

import http.server
import signal
import socket
import socketserver
import sys
import threading

HTTP_PORT = 80
ECHO_PORT = 7


class PageHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = f"ztgate lab web server {self.server.server_address[0]}\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        sys.stderr.write(f"http {self.server.server_address[0]}: {format % args}\n")


class EchoHandler(socketserver.StreamRequestHandler):
    def handle(self):
        for line in self.rfile:
            self.wfile.write(line)


def server_class(base, address):
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    return type(base.__name__, (base,), {"address_family": family,
                                          "allow_reuse_address": True,
                                          "daemon_threads": True})


def main():
    addresses = sys.argv[1:]
    if not addresses:
        sys.exit("usage: lab_servers.py ADDRESS [ADDRESS ...]")
    servers = []
    for address in addresses:
        servers.append(server_class(http.server.ThreadingHTTPServer, address)(
            (address, HTTP_PORT), PageHandler))
        servers.append(server_class(socketserver.ThreadingTCPServer, address)(
            (address, ECHO_PORT), EchoHandler))
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print(f"lab_servers: serving HTTP :{HTTP_PORT} and echo :{ECHO_PORT} on "
          f"{len(addresses)} addresses", file=sys.stderr, flush=True)
    stop.wait()
    # The serving threads are daemon threads: returning ends them with the
    # process, without waiting for each server's poll interval.
    for server in servers:
        server.server_close()


if __name__ == "__main__":
    main()
