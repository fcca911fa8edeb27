#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The network a user's pip settings point at, on 127.0.0.1 only, for
tests/pip-settings.bats:

  pip-net.py wheel DIR NAME VERSION VALUE
      a pure wheel NAME-VERSION-py3-none-any.whl in DIR whose module
      (NAME with '_' for '-') has VALUE = "VALUE"
  pip-net.py index ROOT PORT_FILE LOG CERT KEY [CLIENT_CA]
      a PEP 503 simple index over HTTPS of the wheels in ROOT/files
      (ROOT/simple/NAME/index.html made here); with CLIENT_CA, a client
      certificate signed by it is required.  Each request (method, path,
      the client certificate's CN or "-") is a line of LOG.
  pip-net.py proxy PORT_FILE LOG
      an HTTP proxy: CONNECT tunnels (pip's HTTPS) and absolute-URI GETs
      (apt's http:// mirror).  Each request line is a line of LOG.

The servers take a free port and write it to PORT_FILE once they listen;
they run until killed.  Standard library only.
"""
import base64
import hashlib
import http.server
import os
import re
import select
import socket
import ssl
import sys
import threading
import urllib.parse
import zipfile

LOG_LOCK = threading.Lock()


def log_line(path, line):
    with LOG_LOCK, open(path, "a", encoding="utf-8") as f:
        f.write(line + "\n")


def make_wheel(out_dir, name, version, value):
    module = name.replace("-", "_")
    dist = "%s-%s" % (module, version)
    files = {
        "%s/__init__.py" % module: 'VALUE = "%s"\n' % value,
        "%s.dist-info/METADATA" % dist:
            "Metadata-Version: 2.1\nName: %s\nVersion: %s\n" % (name, version),
        "%s.dist-info/WHEEL" % dist:
            "Wheel-Version: 1.0\nGenerator: pip-net\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest())
        record.append("%s,sha256=%s,%d" % (path, digest.rstrip(b"=").decode(), len(text)))
    record.append("%s.dist-info/RECORD,," % dist)
    files["%s.dist-info/RECORD" % dist] = "\n".join(record) + "\n"
    os.makedirs(out_dir, exist_ok=True)
    whl = os.path.join(out_dir, "%s-py3-none-any.whl" % dist)
    with zipfile.ZipFile(whl, "w") as z:
        for path, text in files.items():
            z.writestr(zipfile.ZipInfo(path, (2020, 1, 1, 0, 0, 0)), text)
    print(whl)


def write_simple(root):
    """ROOT/simple/NAME/index.html for every wheel of ROOT/files, and
    ROOT/simple/index.html listing the projects."""
    by_name = {}
    for f in sorted(os.listdir(os.path.join(root, "files"))):
        if f.endswith(".whl"):
            name = re.sub(r"[-_.]+", "-", f.split("-")[0]).lower()
            by_name.setdefault(name, []).append(f)
    for name, files in by_name.items():
        d = os.path.join(root, "simple", name)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "index.html"), "w", encoding="utf-8") as out:
            out.write("<!DOCTYPE html><html><body>\n")
            for f in files:
                with open(os.path.join(root, "files", f), "rb") as w:
                    sha = hashlib.sha256(w.read()).hexdigest()
                out.write('<a href="../../files/%s#sha256=%s">%s</a>\n' % (f, sha, f))
            out.write("</body></html>\n")
    with open(os.path.join(root, "simple", "index.html"), "w", encoding="utf-8") as out:
        out.write("<!DOCTYPE html><html><body>\n")
        for name in by_name:
            out.write('<a href="%s/">%s</a>\n' % (name, name))
        out.write("</body></html>\n")


def listen(server, port_file):
    with open(port_file + ".tmp", "w", encoding="utf-8") as f:
        f.write("%d\n" % server.server_address[1])
    os.rename(port_file + ".tmp", port_file)
    server.serve_forever()


def serve_index(root, port_file, log, cert, key, client_ca=None):
    write_simple(root)

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **k):
            super().__init__(*a, directory=root, **k)

        def log_message(self, fmt, *args):
            pass

        def send_head(self):
            peer = self.connection.getpeercert() or {}
            cn = "-"
            for rdn in peer.get("subject", ()):
                for k, v in rdn:
                    if k == "commonName":
                        cn = v
            log_line(log, "%s %s %s" % (self.command, self.path, cn))
            return super().send_head()

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    if client_ca:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(client_ca)

    class Server(http.server.ThreadingHTTPServer):
        daemon_threads = True

        def get_request(self):
            sock, addr = self.socket.accept()
            return ctx.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr

        def finish_request(self, request, client_address):
            try:
                request.do_handshake()
            except (ssl.SSLError, OSError) as e:
                log_line(log, "TLS-REFUSED %s" % type(e).__name__)
                return
            super().finish_request(request, client_address)

    listen(Server(("127.0.0.1", 0), Handler), port_file)


def pipe(a, b):
    socks = [a, b]
    while True:
        ready, _, _ = select.select(socks, [], [], 300)
        if not ready:
            return
        for s in ready:
            try:
                data = s.recv(65536)
                if data:
                    (b if s is a else a).sendall(data)
            except OSError:
                data = b""
            if not data:
                return


def serve_proxy(port_file, log):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):
            pass

        def do_CONNECT(self):
            log_line(log, "CONNECT %s" % self.path)
            host, _, port = self.path.rpartition(":")
            try:
                upstream = socket.create_connection((host, int(port)), timeout=30)
            except OSError:
                self.send_error(502)
                return
            self.send_response(200, "Connection established")
            self.end_headers()
            pipe(self.connection, upstream)
            upstream.close()
            self.close_connection = True

        def do_GET(self):
            log_line(log, "GET %s" % self.path)
            u = urllib.parse.urlsplit(self.path)
            if u.scheme != "http" or not u.hostname:
                self.send_error(400)
                return
            try:
                upstream = socket.create_connection((u.hostname, u.port or 80), timeout=30)
            except OSError:
                self.send_error(502)
                return
            target = u.path or "/"
            if u.query:
                target += "?" + u.query
            head = ["GET %s HTTP/1.1" % target]
            for k, v in self.headers.items():
                if k.lower() not in ("proxy-connection", "connection", "keep-alive"):
                    head.append("%s: %s" % (k, v))
            head.append("Connection: close")
            upstream.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
            # The origin's answer as it is, until it closes: this
            # connection closes with it.
            while True:
                data = upstream.recv(65536)
                if not data:
                    break
                self.connection.sendall(data)
            upstream.close()
            self.close_connection = True

    class Server(http.server.ThreadingHTTPServer):
        daemon_threads = True

    listen(Server(("127.0.0.1", 0), Handler), port_file)


def main(argv):
    if len(argv) == 5 and argv[0] == "wheel":
        make_wheel(*argv[1:])
    elif len(argv) in (6, 7) and argv[0] == "index":
        serve_index(*argv[1:])
    elif len(argv) == 3 and argv[0] == "proxy":
        serve_proxy(*argv[1:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
