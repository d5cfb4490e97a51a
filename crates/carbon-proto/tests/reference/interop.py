"""Reference side of crates/carbon-proto/tests/reference.rs.

Usage: interop.py MODE < input > output, one record per line, binary data as hex.
Modes:
  redump     hex pickle (ours)  -> hex of pickle.dumps(v, p) for p in 0..5, then dumps(v, 2) again
  generate   (no input)         -> "ok|refuse <protocol> <hex>" for values made here
  check      "<i> <hex ours>"   -> "ok" or "bad <i> <reprs>": is loads(ours) the i-th ok value?
  payloads   (no input)         -> "<protocol> <hex>" carbon pickle payloads
  receive    hex frame          -> the reference pickle receiver's outcome for the frame
  lines      hex line           -> the reference line receiver's outcome for the line
  datagrams  hex datagram       -> hex lines of data.decode().splitlines(), or "undecodable"
  carbonlink-requests (none)    -> hex of the request pickles graphite-web 1.1.10 sends
  carbonlink-responses hex      -> repr of graphite-web's unpickle.loads of each response
"""
import datetime
import os
import pickle
import random
import struct
import sys

import carbon.protocols as P
from carbon.util import SafeUnpickler


def fhex(x):
    return struct.pack('>d', x).hex()


class Obj:
    pass


class Evil:
    def __reduce__(self):
        return (os.system, ('true',))


def generated_values():
    """Values with shared and mutated-after-memo references, big ints, unicode; the same list
    on every call (seeded)."""
    rng = random.Random(7)
    out = []
    for i in range(300):
        shared = [rng.randint(-5, 5) for _ in range(rng.randint(0, 3))]
        s = ''.join(rng.choice('ab\u00e9\u20ac\U0001f600 \n\'"\\') for _ in range(rng.randint(0, 6)))
        big = rng.choice([2**63, -2**63 - 1, 2**200 + 17, -(2**64), 10**30, 2**31, -2**31 - 1])
        tup = (s, rng.random(), big)
        v = [shared, shared, {s: tup, 'k%d' % i: [tup, tup]}, (shared,), True, None, -0.0,
             float('inf'), 1e300, rng.randint(-2**40, 2**40), [[[]]], ()]
        shared.append('late')
        out.append(v if i % 2 else {'top': v, 'n': i, 'empty': {}, 'big': list(range(1200))})
    return out


def refused_values():
    return [datetime.datetime(2020, 1, 2, 3, 4, 5), Evil(), Obj(), bytearray(b'x'),
            range(3), complex(1, 2), pickle.PickleBuffer(bytearray(b'abc'))]


def main():
    mode = sys.argv[1]
    if mode.startswith('carbonlink'):
        import django
        django.setup()
    out = sys.stdout
    if mode == 'redump':
        for line in sys.stdin:
            v = pickle.loads(bytes.fromhex(line.strip()))
            dumps = [pickle.dumps(v, p).hex() for p in range(6)]
            out.write(' '.join(dumps) + '\n')
    elif mode == 'generate':
        for v in generated_values():
            for p in range(6):
                out.write('ok %d %s\n' % (p, pickle.dumps(v, p).hex()))
        for v in refused_values():
            for p in range(6):
                try:
                    data = pickle.dumps(v, p)
                except Exception:
                    continue
                out.write('refuse %d %s\n' % (p, data.hex()))
        out.write('refuse 5 %s\n' % pickle.dumps(pickle.PickleBuffer(b'abc'), 5,
                                                 buffer_callback=lambda b: False).hex())
        rec = []
        rec.append(rec)
        out.write('refuse 2 %s\n' % pickle.dumps(rec, 2).hex())
        out.write('refuse 2 %s\n' % pickle.dumps(b'bytes at protocol 2', 2).hex())
        out.write('refuse 2 %s\n' % pickle.dumps({1, 2}, 2).hex())
    elif mode == 'check':
        values = generated_values()
        for line in sys.stdin:
            i, data = line.split()
            want = values[int(i)]
            got = pickle.loads(bytes.fromhex(data))
            if repr(got) != repr(want):
                out.write('bad %s %r %r\n' % (i, got, want))
            else:
                out.write('ok\n')
    elif mode == 'payloads':
        rng = random.Random(11)
        nums = [1, 1.5, -1, 2**40, 2**70, 2**1100, True, '2.5', ' 3 ', '1_0', 'nan', 'inf', '-1',
                'x', '', None, [1], b'7', float('nan'), float('inf'), 1700000000]
        names = ['a.b', 'c;t=v', '\u00e9', '', 'x y', b'bytes.name', 7]
        def elem():
            k = rng.random()
            name = rng.choice(names) if rng.random() < 0.08 else rng.choice(names[:5])
            pair = (rng.choice(nums), rng.choice(nums))
            if k < 0.6:
                return (name, pair)
            if k < 0.7:
                return [name, list(pair)]
            if k < 0.75:
                return rng.choice(['ab', 'a', 'm12', ('m',), (name, pair, 1), (name, (1,)), 5,
                                   None, {name: 1, 'z': 2}, (name, '12'), (name, {'1': 0, '2': 0})])
            return (name, (rng.randint(0, 2**31), rng.random() * 100))
        for i in range(400):
            if i % 50 == 0:
                payload = rng.choice([None, 5, 'ab', {}, (), b'', 2.5])
            else:
                payload = [elem() for _ in range(rng.randint(0, 12))]
                if rng.random() < 0.2:
                    payload = tuple(payload)
            for p in range(6):
                out.write('%d %s\n' % (p, pickle.dumps(payload, p).hex()))
    elif mode == 'carbon-payloads':
        # Well-formed carbon payloads as clients and carbon-relay pickle them: shared name
        # objects (memo references), shared pairs, every number opcode, long names, big lists.
        rng = random.Random(12)
        names = ['a.b', 'servers.host%d.cpu' % 7, 'x' * 300, 'c;t=v', '', 'x y']
        for i in range(200):
            shared = [rng.choice(names) + str(rng.randint(0, 3)) for _ in range(4)]
            pair = (1700000000, 0.5)
            payload = []
            for _ in range(rng.choice([0, 1, 5, 40, 1200]) if i % 10 == 0 else rng.randint(0, 30)):
                k = rng.random()
                ts = rng.choice([1700000000 + rng.randint(0, 10**6), -1, 0, 255, 256, 65535,
                                 65536, -2**31, 2**31, 2**40, -2**63, 2**63 - 1,
                                 rng.random() * 2e9, float('nan'), float('inf'), -0.0, True])
                v = rng.choice([rng.random() * 100, rng.randint(-10**6, 10**6), 0, 7, 300,
                                2**35, float('nan'), False, 1e300])
                if k < 0.3:
                    payload.append((rng.choice(shared), (ts, v)))
                elif k < 0.4:
                    payload.append((rng.choice(shared), pair))
                elif k < 0.45 and payload:
                    payload.append(rng.choice(payload))
                else:
                    payload.append((rng.choice(names) + str(rng.randint(0, 10**6)), (ts, v)))
            for p in range(6):
                out.write('%d %s\n' % (p, pickle.dumps(payload, p).hex()))
    elif mode == 'receive':
        shapes = []
        P.log.listener = lambda msg: shapes.append(msg) if msg.startswith('Error decoding') else None
        for line in sys.stdin:
            frame = bytes.fromhex(line.strip())
            got = []
            shapes.clear()
            r = object.__new__(P.MetricPickleReceiver)
            r.peerName = 'peer'
            r.unpickler = SafeUnpickler
            r.metricReceived = lambda m, dp: got.append((m, dp))
            try:
                SafeUnpickler.loads(frame)
            except Exception:
                out.write('invalid\n')
                continue
            try:
                r.stringReceived(frame)
                status = 'ok'
            except Exception:
                status = 'close'
            pts = ['%s:%s:%s' % (m.encode('utf-8', 'surrogatepass').hex(), fhex(ts), fhex(v))
                   for m, (ts, v) in got]
            out.write(' '.join([status, str(len(shapes))] + pts) + '\n')
    elif mode == 'lines':
        for line in sys.stdin:
            data = bytes.fromhex(line.strip())
            got = []
            r = object.__new__(P.MetricLineReceiver)
            r.peerName = 'peer'
            r.metricReceived = lambda m, dp: got.append((m, dp))
            try:
                r.lineReceived(data)
            except UnicodeDecodeError:
                out.write('utf8\n')
                continue
            if not got:
                out.write('invalid\n')
            else:
                m, (ts, v) = got[0]
                out.write('ok %s %s %s\n' % (m.encode().hex(), fhex(ts), fhex(v)))
    elif mode == 'datagrams':
        for line in sys.stdin:
            data = bytes.fromhex(line.strip())
            try:
                text = data.decode('utf-8')
            except UnicodeDecodeError:
                out.write('undecodable\n')
                continue
            out.write(' '.join(['lines'] + [l.encode().hex() for l in text.splitlines()]) + '\n')
    elif mode == 'carbonlink-requests':
        from django.conf import settings
        protocol = settings.CARBONLINK_PICKLE_PROTOCOL
        for request in [dict(type='cache-query', metric='a.b.c'),
                        dict(type='cache-query-bulk', metrics=['a', 'b;t=v', 'a']),
                        dict(type='get-metadata', metric='x.y', key='aggregationMethod'),
                        dict(type='set-metadata', metric='x.y', key='aggregationMethod',
                             value='max'),
                        dict(type='bogus', metric='m')]:
            out.write(pickle.dumps(request, protocol=protocol).hex() + '\n')
    elif mode == 'carbonlink-responses':
        from graphite.util import unpickle
        for line in sys.stdin:
            out.write(repr(unpickle.loads(bytes.fromhex(line.strip()))) + '\n')
    else:
        raise SystemExit('unknown mode ' + mode)


main()
