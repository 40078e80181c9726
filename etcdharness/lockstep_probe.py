"""Random lockstep runs of impl's RawNode against real etcd (MODEL_BRIDGE).

    python -m etcdharness.lockstep_probe [--runs 200] [--steps 200] [--seed 0]

Both sides get the same configs and the same actions (tick, campaign, beat,
deliver/drop a message, transfer, propose, restart); after every action the
sent messages and the statuses must agree. The randomized election timeouts
are pinned far away on both sides, so ticks never start elections (the model's
``timeout`` action is ``campaign``). Prints the first divergence of each run.
This is an investigation tool, not a proof: impl and the bridge may both be wrong
in the same way.
"""

from __future__ import annotations

import argparse
import random
from dataclasses import dataclass
from typing import Any

from etcdharness.client import MODEL_BRIDGE, Bridge, EtcdCluster, Harness
from impl.config import Config as ImplConfig
from impl.raft import ErrProposalDropped
from impl.raftpb import Message
from impl.rawnode import RawNode

FAR = 10**6
IMPL_BRIDGE = Bridge(**{**MODEL_BRIDGE.__dict__, "quiet_tick": False})


def norm(m: Message) -> tuple[Any, ...]:
    return (
        m.type.name,
        m.frm,
        m.to,
        m.term,
        m.log_term,
        m.index,
        tuple(e.term for e in m.entries),
        m.commit,
        m.reject,
        m.context,
    )


def status_tuple(st: Any, et: int) -> tuple[Any, ...]:
    return (
        st.term,
        st.vote,
        st.lead,
        st.role,
        min(st.election_elapsed, et) if st.role != "leader" else st.election_elapsed,
        dict(sorted(st.votes.items())),
        st.recent_active,
        list(st.log_terms),
    )


@dataclass
class Divergence:
    step: int
    action: str
    what: str
    impl: Any
    etcd: Any


def run(
    seed: int,
    steps: int,
    harness: Harness,
    pending_p: float = 0.0,
    promoted_p: float = 0.0,
) -> tuple[list[str], Divergence | None]:
    rng = random.Random(seed)
    voters = rng.choice([1, 2, 3, 3, 3, 4, 5])
    learners = rng.choice([0, 0, 1])
    et = rng.choice([2, 3, 5])
    pre_vote = rng.random() < 0.5
    check_quorum = rng.random() < 0.5
    ids = list(range(1, voters + learners + 1))
    vs, ls = tuple(ids[:voters]), tuple(ids[voters:])
    terms = {i: rng.choice([0, 0, 1, 2]) for i in ids}
    logs = {i: tuple(sorted(rng.choice([(), (1,), (1, 1), (1, 2)]))) for i in ids}
    for i in ids:
        terms[i] = max([terms[i], *logs[i]])
    pending = {i for i in ids if rng.random() < pending_p}
    if pending:
        # Keep the pending entries committed for real: every log starts with
        # term 1 and a pending node's log is just that entry, so no leader can
        # overwrite it (etcd never overwrites committed entries; the model's
        # pending_conf is a flag and does not care).
        logs = {i: (1,) if i in pending else (1, *logs[i][1:]) for i in ids}
        terms = {i: max(terms[i], 1) for i in ids}
    # promoted learners: every node but the learner itself counts it as a voter.
    promoted = bool(ls) and rng.random() < promoted_p
    cfgs = [
        ImplConfig(
            id=i,
            voters=vs + ls if promoted and i not in ls else vs,
            learners=ls if not promoted or i in ls else (),
            pending_conf=i in pending,
            election_tick=et,
            heartbeat_tick=1,
            pre_vote=pre_vote,
            check_quorum=check_quorum,
            term=terms[i],
            log_terms=logs[i],
        )
        for i in ids
    ]
    impl = {c.id: RawNode(c) for c in cfgs}
    # impl's leader tick sends MsgBeat like etcd's (the model's does not): keep them.
    etcd = EtcdCluster(cfgs, harness, bridge=IMPL_BRIDGE)
    for i in ids:
        etcd[i].set_randomized_election_timeout(FAR, sticky=True)
    trace = [f"seed={seed} voters={vs} learners={ls} et={et} pre_vote={pre_vote} cq={check_quorum}"]
    trace.append(f"  terms={terms} logs={logs} pending={pending} promoted={promoted}")
    net: list[Message] = []

    def pin_impl() -> None:
        for n in impl.values():
            n.raft.randomized_election_timeout = FAR

    pin_impl()
    div = None
    for step in range(steps):
        roll = rng.random()
        i = rng.choice(ids)
        if net and roll < 0.45:
            m = net.pop(rng.randrange(len(net)))
            if rng.random() < 0.1:
                action = f"drop {norm(m)}"
                trace.append(action)
                continue
            action, i = f"deliver {norm(m)}", m.to
            a_err = e_err = None
            try:
                impl[i].step(m)
            except Exception as exc:  # noqa: BLE001
                a_err = type(exc).__name__
            try:
                etcd[i].step(m)
            except Exception as exc:  # noqa: BLE001
                e_err = type(exc).__name__
            if a_err != e_err:
                div = Divergence(step, action, "error", a_err, e_err)
        elif roll < 0.65:
            action = f"tick {i}"
            impl[i].tick()
            etcd[i].tick()
        elif roll < 0.8:
            action = f"campaign {i}"
            impl[i].campaign()
            etcd[i].campaign(reset_elapsed=False)
        elif roll < 0.87:
            action = f"beat {i}"
            impl[i].beat()
            etcd[i].beat()
        elif roll < 0.92:
            j = rng.choice(ids)
            action = f"transfer {i}->{j}"
            impl[i].transfer_leader(j)
            etcd[i].transfer_leader(j)
        elif roll < 0.97:
            action = f"propose {i}"
            a_drop = e_drop = False
            try:
                impl[i].propose()
            except ErrProposalDropped:
                a_drop = True
            try:
                etcd[i].propose()
            except ErrProposalDropped:
                e_drop = True
            if a_drop != e_drop:
                div = Divergence(step, action, "proposal dropped", a_drop, e_drop)
        else:
            action = f"restart {i}"
            impl[i].ready()
            impl[i].restart()
            etcd[i].restart()
        pin_impl()
        trace.append(action)
        if div is not None:
            break
        a_out = [norm(m) for m in impl[i].ready()]
        e_msgs = etcd[i].ready()
        e_out = [norm(m) for m in e_msgs]
        if a_out != e_out:
            div = Divergence(step, action, f"messages of {i}", a_out, e_out)
            break
        net.extend(e_msgs)
        a_st = status_tuple(impl[i].status(), et)
        e_st = status_tuple(etcd[i].status(), et)
        if a_st != e_st:
            div = Divergence(step, action, f"status of {i}", a_st, e_st)
            break
    etcd.destroy()
    return trace, div


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m etcdharness.lockstep_probe")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", action="store_true", help="print the trace of failing runs")
    parser.add_argument("--pending", type=float, default=0.0, help="chance of pending_conf")
    parser.add_argument("--promoted", type=float, default=0.0, help="chance of promoted learners")
    args = parser.parse_args(argv)
    failures = 0
    with Harness() as h:
        for k in range(args.runs):
            trace, div = run(args.seed + k, args.steps, h, args.pending, args.promoted)
            if div is not None:
                failures += 1
                print(f"run {args.seed + k}: step {div.step} {div.action}: {div.what} differ")
                print(f"    impl: {div.impl}\n    etcd: {div.etcd}")
                if args.verbose:
                    print("\n".join("    | " + t for t in trace[-30:]))
    print(f"{args.runs - failures}/{args.runs} runs agree")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
