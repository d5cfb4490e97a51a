"""Answers ring questions with the reference rings, for tests/reference.rs.

Reads one JSON document on stdin:
  {"cases": [{"hash_type": "carbon_ch", "nodes": [[server, instance-or-null], ...],
              "remove": [[server, instance], ...], "keys": [...], "rf": [1, 2, 3]}, ...]}
and writes one JSON document on stdout with, for both carbon.hashing and
graphite.render.hashing, per case:
  {"entries": [[position, server, instance], ...],
   "nodes": [[[server, instance], ...] for each key],        # get_nodes, as yielded
   "diverse": {rf: [[[server, instance], ...] for each key]}} # select_host's candidates

A second mode, `positions`, reads {"hash_type": t, "keys": [...]} and writes the positions;
`repr` reads {"strings": [...]} and writes their repr()s.
"""
import json
import sys

import carbon.hashing as carbon_hashing
import graphite.render.hashing as graphite_hashing


def node(n):
    return (n[0], n[1])


def select_candidates(ring, key, rf):
    # graphite.carbonlink.CarbonLinkPool.select_host before its random choice.
    nodes = []
    servers = set()
    for n in ring.get_nodes(key):
        (server, instance) = n
        if server in servers:
            continue
        servers.add(server)
        nodes.append(n)
        if len(servers) >= rf:
            break
    return nodes


def run_case(module, case):
    ring = module.ConsistentHashRing([], hash_type=case["hash_type"])
    for n in case["nodes"]:
        ring.add_node(node(n))
    for n in case.get("remove", []):
        ring.remove_node(node(n))
    out = {"entries": [[p, s, i] for (p, (s, i)) in ring.ring]}
    out["nodes"] = [[list(n) for n in ring.get_nodes(k)] for k in case["keys"]]
    out["get_node"] = [list(ring.get_node(k)) if ring.ring else None for k in case["keys"]]
    out["diverse"] = {
        str(rf): [[list(n) for n in select_candidates(ring, k, rf)] for k in case["keys"]]
        for rf in case.get("rf", [])
    }
    return out


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else "rings"
    doc = json.load(sys.stdin)
    if mode == "rings":
        result = {
            "carbon": [run_case(carbon_hashing, c) for c in doc["cases"]],
            "graphite": [run_case(graphite_hashing, c) for c in doc["cases"]],
        }
    elif mode == "positions":
        t = doc["hash_type"]
        result = {
            "carbon": [carbon_hashing.carbonHash(k, t) for k in doc["keys"]],
            "graphite": [graphite_hashing.carbonHash(k, t) for k in doc["keys"]],
        }
    elif mode == "repr":
        result = [repr(s) for s in doc["strings"]]
    else:
        raise SystemExit("unknown mode %r" % mode)
    json.dump(result, sys.stdout, ensure_ascii=False)


main()
