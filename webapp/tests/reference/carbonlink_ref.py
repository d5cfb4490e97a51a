"""Reference side of webapp/tests/carbonlink_reference.rs.

Modes (JSON on stdin, JSON on stdout):
  select   {"hosts": [...], "hashing_type": t, "replication_factor": n, "keys": [...]}
           -> {"parsed": [[server, port, instance]...],
               "candidates": [[[server, instance]...] per key]}
           graphite-web's parseHosts and CarbonLinkPool.select_host's candidate list (the
           nodes it chooses among at random; with REPLICATION_FACTOR 1 its only choice).
  parse    {"hosts": [...]} -> [[server, port, instance] or {"error": text} per entry]
  requests {"frames": [hex...]} -> [repr(carbon's SafeUnpickler.loads(frame))...]
           how carbon-cache 1.1.10 reads our request frames.
Needs GRAPHITE_STORAGE_DIR (with log/webapp) and DJANGO_SETTINGS_MODULE=graphite.settings.
"""
import json
import sys
import warnings

warnings.simplefilter("ignore")

from django.conf import settings  # noqa: E402

from graphite.util import parseHost, parseHosts  # noqa: E402


def select(doc):
    settings.CARBONLINK_HASHING_TYPE = doc["hashing_type"]
    settings.REPLICATION_FACTOR = doc["replication_factor"]
    settings.CARBONLINK_HASHING_KEYFUNC = None
    from graphite.carbonlink import CarbonLinkPool

    hosts = parseHosts(doc["hosts"])
    pool = CarbonLinkPool(hosts, 1)
    candidates = []
    for key in doc["keys"]:
        # select_host without the final random.choice.
        nodes = []
        servers = set()
        for node in pool.hash_ring.get_nodes(pool.keyfunc(key)):
            (server, instance) = node
            if server in servers:
                continue
            servers.add(server)
            nodes.append(node)
            if len(servers) >= settings.REPLICATION_FACTOR:
                break
        if settings.REPLICATION_FACTOR == 1:
            assert pool.select_host(key) == nodes[0]
        candidates.append([list(n) for n in nodes])
    return {"parsed": [list(h) for h in hosts], "candidates": candidates}


def parse(doc):
    out = []
    for h in doc["hosts"]:
        try:
            out.append(list(parseHost(h)))
        except Exception as e:  # noqa: BLE001
            out.append({"error": "%s: %s" % (type(e).__name__, e)})
    return out


def requests(doc):
    from carbon.util import get_unpickler

    unpickler = get_unpickler(insecure=False)
    return [repr(unpickler.loads(bytes.fromhex(f))) for f in doc["frames"]]


MODES = {"select": select, "parse": parse, "requests": requests}
json.dump(MODES[sys.argv[1]](json.load(sys.stdin)), sys.stdout)
