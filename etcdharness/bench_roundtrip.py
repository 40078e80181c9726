"""Micro-benchmark of the etcd harness: requests per second through the client.

    python -m etcdharness.bench_roundtrip [--seconds 2]

(bench/etcd_roundtrip.py, if present, runs this.) Reports, for a 3-node cluster:
single requests (status, tick), whole elections driven message by message
(campaign, ready, step, ... as a lockstep comparison does), and batched requests.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from etcdharness.client import MODEL_BRIDGE, EtcdCluster, Harness


def rate(label: str, seconds: float, body: Callable[[], int]) -> float:
    """Run ``body`` (returns the number of requests it made) for ``seconds``."""
    n = 0
    start = time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        n += body()
    per_s = n / elapsed
    print(f"{label:<44} {per_s:>10,.0f} requests/s  ({n} in {elapsed:.2f}s)")
    return per_s


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m etcdharness.bench_roundtrip")
    parser.add_argument("--seconds", type=float, default=2.0, help="duration of each measurement")
    args = parser.parse_args(argv)
    with Harness() as h:
        print(f"harness: {h.hello()['go']}, pid {h.pid}")
        c = EtcdCluster(EtcdCluster.configs(3, election_tick=10), h, bridge=MODEL_BRIDGE)
        node = c[1]

        def hello() -> int:
            h.request("hello")
            return 1

        def status() -> int:
            node.status()
            return 1

        def tick() -> int:
            c[2].tick()
            return 1

        rate("hello (no node)", args.seconds, hello)
        rate("status", args.seconds, status)
        rate("tick (follower)", args.seconds, tick)

        def election() -> int:
            cl = EtcdCluster(EtcdCluster.configs(3, election_tick=10), h)
            cl[1].campaign()
            out = cl[1].ready()
            requests = 3  # create_cluster, campaign, ready
            queue = list(out)
            while queue:
                m = queue.pop(0)
                cl.deliver(m)
                queue.extend(cl[m.to].ready())
                requests += 2
            cl.destroy()
            return requests + 3

        rate("3-node election, message by message", args.seconds, election)

        batch = [{"op": "tick", "handle": c[3].handle} for _ in range(100)]

        def batched() -> int:
            h.batch(batch)
            return len(batch)

        rate("tick, batches of 100", args.seconds, batched)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
