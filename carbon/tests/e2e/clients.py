"""Reference-side clients for carbon/tests/e2e (run with the .venv-ref Python: carbon 1.1.10,
graphite-web 1.1.10, whisper 1.1.10).

Usage: clients.py MODE ARGS... ; input on stdin, results on stdout.
Modes:
  pickle HOST PORT     stdin: one frame per line, sent in order on ONE connection, then
                       half-close and wait for the daemon to close. A line is either
                         points METRIC TS VALUE [METRIC TS VALUE ...]   a carbon client's frame:
                             struct.pack('!L', len) + pickle.dumps([(m, (ts, v)), ...], 2)
                         evil KIND MARKER   a hostile or malformed frame (see evil_payload)
                         oversize N         a well-formed frame of the points
                             oversize.N.<i> whose payload is over N bytes
  carbonlink HOST PORT stdin: requests through graphite-web's own CarbonLinkPool, one a line:
                         query METRIC | get METRIC KEY | set METRIC KEY VALUE
                       prints one line per request: repr(sorted(points)) for a query, repr
                       of the answer otherwise, or "error <text>" when the client raises.
  check-whisper DIR    whisper.info and whisper.fetch on every .wsp under DIR; prints
                       "ok N" or one "bad PATH ERROR" line per unreadable file.
  tagdb-https CERT KEY a stand-in for graphite-web's tag API over TLS (Python's ssl, the
                       certificate CERT and key KEY) on 127.0.0.1: prints "port N", then
                       "path P" for each path posted to /tags/tagMultiSeries; runs until
                       stdin closes.
"""
import os
import pickle
import socket
import struct
import sys
import time


class Evil:
    """Unpickling this runs os.system(command): what a hostile client would send."""

    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


class Obj:
    pass


def frame(payload):
    return struct.pack('!L', len(payload)) + payload


def evil_payload(kind, marker):
    """Payloads the daemon must refuse. The hostile ones would create MARKER if unpickled
    by an unsafe unpickler."""
    touch = 'touch %s' % marker
    ts = int(time.time())
    if kind == 'reduce':  # GLOBAL/STACK_GLOBAL os.system + REDUCE, inside a valid-looking list
        return pickle.dumps([('evil.reduce', (ts, 1.0)), Evil(touch)], 2)
    if kind == 'reduce0':  # protocol 0: 'c' GLOBAL + 'R' REDUCE
        return pickle.dumps([Evil(touch)], 0)
    if kind == 'inst':  # protocol 0 INST opcode: calls os.system(command)
        return b"(S'" + touch.encode() + b"'\nios\nsystem\n."
    if kind == 'global':  # a bare GLOBAL
        return pickle.dumps(os.system, 2)
    if kind == 'class':  # an instance of a class: NEWOBJ/BUILD as a value
        return pickle.dumps([('evil.class', (ts, Obj()))], 2)
    if kind == 'garbage':
        return b'\x80\x02this is not a pickle\xff\x00\x01'
    if kind == 'truncated':
        return pickle.dumps([('evil.truncated', (ts, 1.0))], 2)[:-5]
    if kind == 'dict':  # not a list of points
        return pickle.dumps({'evil.dict': (ts, 1.0)}, 2)
    if kind == 'bytes-name':  # protocol 3 bytes metric name
        return pickle.dumps([(b'evil.bytes', (ts, 1.0))], 3)
    raise SystemExit('unknown evil kind %r' % kind)


def points_payload(fields):
    pts = []
    for i in range(0, len(fields), 3):
        metric, ts, value = fields[i:i + 3]
        pts.append((metric, (float(ts) if '.' in ts or 'e' in ts or 'n' in ts else int(ts),
                             float(value))))
    return pickle.dumps(pts, 2)


def send_pickles(host, port):
    sock = socket.create_connection((host, int(port)), 20)
    for line in sys.stdin:
        fields = line.split()
        if not fields:
            continue
        if fields[0] == 'points':
            data = frame(points_payload(fields[1:]))
        elif fields[0] == 'evil':
            data = frame(evil_payload(fields[1], fields[2]))
        elif fields[0] == 'oversize':
            limit = int(fields[1])
            pts, i = [], 0
            while True:
                pts.append(('oversize.%d.%d' % (limit, i), (int(time.time()), 1.0)))
                payload = pickle.dumps(pts, 2)
                if len(payload) > limit:
                    break
                i += 1
            data = frame(payload)
        else:
            raise SystemExit('unknown frame %r' % line)
        sock.sendall(data)
    sock.shutdown(socket.SHUT_WR)
    # The daemon closes once it has read everything: then every frame has been handled.
    while sock.recv(65536):
        pass
    sock.close()
    print('sent')


def carbonlink(host, port):
    from django.conf import settings
    log_dir = os.environ.get('E2E_LOG_DIR', '/tmp')
    settings.configure(
        DEBUG=False,
        TIME_ZONE='UTC',
        LOG_DIR=log_dir,
        LOG_ROTATION=False,
        LOG_ROTATION_COUNT=1,
        LOG_FILE_INFO='-',
        LOG_FILE_EXCEPTION='-',
        LOG_FILE_CACHE='-',
        LOG_FILE_RENDERING='-',
        LOG_INFO_PERFORMANCE=False,
        LOG_CACHE_PERFORMANCE=False,
        LOG_RENDERING_PERFORMANCE=False,
        REPLICATION_FACTOR=1,
        CARBONLINK_HASHING_TYPE='carbon_ch',
        CARBONLINK_HASHING_KEYFUNC=None,
        CARBONLINK_RETRY_DELAY=15,
        CARBONLINK_PICKLE_PROTOCOL=-1,
        CARBON_METRIC_PREFIX='carbon',
    )
    import django
    django.setup()
    from graphite.carbonlink import CarbonLinkPool

    pool = CarbonLinkPool([(host, int(port), None)], 10)
    for line in sys.stdin:
        fields = line.split()
        if not fields:
            continue
        try:
            if fields[0] == 'query':
                out = repr(sorted(pool.query(fields[1])))
            elif fields[0] == 'get':
                out = repr(pool.get_metadata(fields[1], fields[2]))
            elif fields[0] == 'set':
                out = repr(sorted(pool.set_metadata(fields[1], fields[2], fields[3]).items()))
            else:
                raise SystemExit('unknown request %r' % line)
        except Exception as e:  # the client raises CarbonLinkRequestError on {'error': ...}
            out = 'error %s: %s' % (type(e).__name__, str(e).splitlines()[0] if str(e) else '')
        print(out, flush=True)


def check_whisper(root):
    import whisper
    now = int(time.time())
    count = 0
    for dirpath, _, names in os.walk(root):
        for name in sorted(names):
            if not name.endswith('.wsp'):
                continue
            path = os.path.join(dirpath, name)
            count += 1
            try:
                info = whisper.info(path)
                for archive in info['archives']:
                    whisper.fetch(path, now - archive['retention'] + archive['secondsPerPoint'],
                                  now, archiveToSelect=archive['secondsPerPoint'])
                whisper.fetch(path, now - info['maxRetention'] + 1, now)
            except Exception as e:
                print('bad %s %s: %s' % (path, type(e).__name__, e))
    print('ok %d' % count)


def tagdb_https(cert, key):
    import http.server
    import ssl
    import threading
    import urllib.parse

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get('Content-Length', 0))).decode()
            if self.path.rstrip('/') == '/tags/tagMultiSeries':
                for name, value in urllib.parse.parse_qsl(body):
                    if name == 'path':
                        print('path %s' % value, flush=True)
            self.send_response(200)
            self.send_header('Content-Type', 'application/json')
            self.send_header('Content-Length', '2')
            self.end_headers()
            self.wfile.write(b'[]')

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print('port %d' % server.server_address[1], flush=True)
    sys.stdin.read()


def main():
    mode = sys.argv[1]
    if mode == 'pickle':
        send_pickles(sys.argv[2], sys.argv[3])
    elif mode == 'carbonlink':
        carbonlink(sys.argv[2], sys.argv[3])
    elif mode == 'check-whisper':
        check_whisper(sys.argv[2])
    elif mode == 'tagdb-https':
        tagdb_https(sys.argv[2], sys.argv[3])
    else:
        raise SystemExit('unknown mode %r' % mode)


if __name__ == '__main__':
    main()
