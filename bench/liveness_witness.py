"""CPU seconds of the liveness progress witness alone, another model/liveness.py against this one.

    python bench/liveness_witness.py --old OTHER/model/liveness.py [EXPLORE ARGS...]

Builds the liveness graph once (this checkout), then asks both witnesses about the states the
analysis asks about (bound states that reach no stable leader inside the graph) and prints
their CPU seconds and how many said yes (the two counts must agree). The old file is loaded
as a module of its own and uses this checkout's model otherwise (model/network.py's
`net_successors`, which the old witness calls, is unchanged in what it returns).
"""

from __future__ import annotations

import argparse
import importlib.util
import shlex
import sys
import time

from explorer.livegraph import build_graph
from explorer.liveness import FAULT, GOOD, _edge_mask, _flag_mask, kernels
from model.cluster import ClusterModel
from model.liveness import Liveness
from raftcheck.cli import explore_cmd, prepare_exploration


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--old", required=True, help="the other model/liveness.py")
    ap.add_argument("args", nargs="*", help="explore arguments (after --)")
    a = ap.parse_args()
    spec = importlib.util.spec_from_file_location("old_liveness", a.old)
    assert spec is not None and spec.loader is not None
    old_mod = importlib.util.module_from_spec(spec)
    sys.modules["old_liveness"] = old_mod
    spec.loader.exec_module(old_mod)
    ctx = explore_cmd.make_context("explore", ["--liveness", *a.args])
    cfg, _limits, _rest, rules, opts = prepare_exploration(dict(ctx.params))
    model = ClusterModel(cfg, rules, liveness=Liveness(opts))
    g = build_graph(model)
    k = kernels(g)
    good = k.backward(k.reverse(_edge_mask(g, FAULT)), _flag_mask(g, GOOD))
    asked = [s for s in g.bounded if not good[s]]
    old = old_mod.Liveness(opts)
    old.attach(model)
    res = {}
    for name, live in (("old", old), ("new", model.live)):
        t = time.process_time()
        yes = sum(1 for s in asked if live.progress_witness(g.states[s]))
        res[name] = (time.process_time() - t, yes)
    print(f"{shlex.join(a.args)}: {len(g):,} states, {len(g.bounded):,} bound, "
          f"{len(asked):,} asked; old {res['old'][0]:.2f} CPU s ({res['old'][1]:,} yes), "
          f"new {res['new'][0]:.2f} CPU s ({res['new'][1]:,} yes), "
          f"old/new {res['old'][0] / max(res['new'][0], 1e-9):.2f}"
          + ("" if res["old"][1] == res["new"][1] else "  ANSWERS DIFFER"))


if __name__ == "__main__":
    main()
