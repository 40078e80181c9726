"""Random lockstep runs of impl's RawNode against real etcd (MODEL_BRIDGE).

    python -m etcdharness.lockstep_probe [--runs 200] [--steps 200] [--seed 0] [--conf P]

Both sides get the same configs and the same actions (tick, campaign, beat,
deliver/drop a message, transfer, propose, restart; with ``--conf P`` also, with
chance P each, a membership change proposed on a random node and an apply of
its committed entries); after every action the sent messages and the statuses
must agree. With ``--conf`` impl tracks commit and etcd runs with
MODEL_CONF_BRIDGE (minus quiet_tick), and the statuses also compare commit,
applied, the configuration, pendingConfIndex, a leader's match and every log
entry's change; a change both sides refuse to apply (etcd panics, impl raises)
ends the run as an agreement. The randomized election timeouts
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

from etcdharness.client import MODEL_BRIDGE, MODEL_CONF_BRIDGE, Bridge, EtcdCluster, Harness
from impl.config import Config as ImplConfig
from impl.raft import ErrProposalDropped
from impl.raftpb import ConfChange, ConfChangeSingle, ConfChangeV2, Entry, Message
from impl.rawnode import RawNode

FAR = 10**6
IMPL_BRIDGE = Bridge(**{**MODEL_BRIDGE.__dict__, "quiet_tick": False})
IMPL_CONF_BRIDGE = Bridge(**{**MODEL_CONF_BRIDGE.__dict__, "quiet_tick": False})
ADD_NODE, REMOVE_NODE, ADD_LEARNER = 0, 1, 3
Change = tuple[bool, int, tuple[tuple[int, int], ...]]


def change_of(cc: Any) -> Change | None:
    """impl's change object (or etcd's decoded tuple) in the model's form."""
    if cc is None or isinstance(cc, tuple):
        return cc
    if isinstance(cc, ConfChange):
        return (False, 0, ((int(cc.type), cc.node_id),))
    return (True, int(cc.transition), tuple(sorted((int(c.type), c.node_id) for c in cc.changes)))


def entry_of(e: Entry) -> Any:
    cc = change_of(getattr(e, "cc", None))
    return e.term if cc is None else (e.term, cc)


def impl_change(cc: Change) -> Any:
    from impl.raftpb import ConfChangeTransition, ConfChangeType

    v2, transition, ops = cc
    if not v2:
        ((op, nid),) = ops
        return ConfChange(ConfChangeType(op), nid)
    return ConfChangeV2(ConfChangeTransition(transition),
                        tuple(ConfChangeSingle(ConfChangeType(op), nid) for op, nid in ops))


def norm(m: Message) -> tuple[Any, ...]:
    return (
        m.type.name,
        m.frm,
        m.to,
        m.term,
        m.log_term,
        m.index,
        tuple(entry_of(e) for e in m.entries),
        m.commit,
        m.reject,
        m.context,
    )


def status_tuple(st: Any, et: int, conf: bool = False) -> tuple[Any, ...]:
    out: tuple[Any, ...] = (
        st.term,
        st.vote,
        st.lead,
        st.role,
        min(st.election_elapsed, et) if st.role != "leader" else st.election_elapsed,
        dict(sorted(st.votes.items())),
        st.recent_active,
        list(st.log_terms),
    )
    if conf:
        c = st.config
        out += (
            st.commit, st.applied,
            (list(c.voters_in), list(c.voters_out), list(c.learners), list(c.learners_next),
             bool(c.auto_leave)),
            st.pending_conf_index, dict(sorted(st.match.items())),
            [entry_of(e) for e in st.log_entries],
        )
    return out


def random_change(rng: random.Random, st: Any, ids: list[int]) -> Change:
    """A change that makes sense against node's applied configuration (as a proposer would
    write it); a leave when joint. Another node may still refuse it (etcd's refusals)."""
    c = st.config
    if c.voters_out:
        return (True, 0, ())
    voters, learners = list(c.voters_in), list(c.learners)
    others = [i for i in ids if i not in voters and i not in learners]
    ops: list[tuple[int, int]] = []
    if learners:
        ops.append((ADD_NODE, rng.choice(learners)))  # promote
    if len(voters) > 1:
        v = rng.choice(voters)
        ops.append((rng.choice([REMOVE_NODE, ADD_LEARNER]), v))  # remove or demote
    if others:
        ops.append((rng.choice([ADD_NODE, ADD_LEARNER]), rng.choice(others)))
    if not ops:
        return (True, 0, ())
    if len(ops) >= 2 and rng.random() < 0.6:
        pick = rng.sample(ops, 2)
        if pick[0][1] != pick[1][1]:
            return (True, rng.choice([0, 2]), tuple(sorted(pick)))
    op = rng.choice(ops)
    return (rng.random() < 0.5, 0, (op,))


# Coverage of the --conf runs: configurations reached, joint ones, leader changes with a
# changed configuration, runs ended by an apply both sides refuse.
STATS: dict[str, Any] = {"confs": set(), "joint": set(), "refused": 0, "conf_elections": 0}


def leader_busy(impl: dict[int, RawNode], ids: list[int]) -> tuple[int, str] | None:
    """(leader, "apply" or "beat") when a leader holds an unapplied change of its own."""
    for j in ids:
        st = impl[j].status()
        if st.role == "leader" and st.pending_conf_index > st.applied:
            return j, "apply" if st.commit > st.applied else "beat"
    return None


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
    conf_p: float = 0.0,
    fifo: bool = False,
) -> tuple[list[str], Divergence | None]:
    rng = random.Random(seed)
    voters = rng.choice([1, 2, 3, 3, 3, 4, 5])
    learners = rng.choice([0, 0, 1])
    if conf_p > 0:  # more room for promotions, demotions and joint changes
        voters, learners = rng.choice([2, 3, 3, 4]), rng.choice([0, 1, 1, 2])
    et = rng.choice([2, 3, 5])
    pre_vote = rng.random() < 0.5
    check_quorum = rng.random() < 0.5
    ids = list(range(1, voters + learners + 1))
    vs, ls = tuple(ids[:voters]), tuple(ids[voters:])
    terms = {i: rng.choice([0, 0, 1, 2]) for i in ids}
    logs = {i: tuple(sorted(rng.choice([(), (1,), (1, 1), (1, 2)]))) for i in ids}
    for i in ids:
        terms[i] = max([terms[i], *logs[i]])
    conf = conf_p > 0
    pending = {i for i in ids if rng.random() < pending_p} if not conf else set()
    if pending:
        # Keep the pending entries committed for real: every log starts with
        # term 1 and a pending node's log is just that entry, so no leader can
        # overwrite it (etcd never overwrites committed entries; the model's
        # pending_conf is a flag and does not care).
        logs = {i: (1,) if i in pending else (1, *logs[i][1:]) for i in ids}
        terms = {i: max(terms[i], 1) for i in ids}
    # promoted learners: every node but the learner itself counts it as a voter.
    promoted = bool(ls) and rng.random() < promoted_p and not conf
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
            track_commit=conf,
        )
        for i in ids
    ]
    impl = {c.id: RawNode(c) for c in cfgs}
    # impl's leader tick sends MsgBeat like etcd's (the model's does not): keep them.
    etcd = EtcdCluster(cfgs, harness, bridge=IMPL_CONF_BRIDGE if conf else IMPL_BRIDGE)
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
            k = rng.randrange(len(net))
            if fifo:  # the oldest message of that link: no reordering on a link
                k = next(j for j, x in enumerate(net) if (x.frm, x.to) == (net[k].frm, net[k].to))
            m = net.pop(k)
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
        elif conf and roll < 0.45 + conf_p and (lead := leader_busy(impl, ids)) is not None:
            # A leader's change is still unapplied: help it along (a new proposal would only
            # be refused) by applying what it committed, else by a heartbeat round.
            i, kind = lead
            action = f"{kind} {i}"
            if kind == "apply":
                impl[i].apply_committed()
                etcd[i].apply_committed()
            else:
                impl[i].beat()
                etcd[i].beat()
        elif conf and roll < 0.45 + conf_p:
            leaders = [j for j in ids if impl[j].status().role == "leader"]
            if leaders and rng.random() < 0.8:  # mostly where etcd accepts proposals
                i = rng.choice(leaders)
            cc = random_change(rng, impl[i].status(), ids)
            action = f"propose-conf {i} {cc}"
            a_drop = e_drop = False
            try:
                impl[i].propose_conf_change(impl_change(cc))
            except ErrProposalDropped:
                a_drop = True
            try:
                etcd[i].propose_conf_change(cc)
            except ErrProposalDropped:
                e_drop = True
            if a_drop != e_drop:
                div = Divergence(step, action, "proposal dropped", a_drop, e_drop)
        elif conf and roll < 0.45 + 2 * conf_p:
            behind = [j for j in ids if impl[j].status().commit > impl[j].status().applied]
            if behind and rng.random() < 0.8:
                i = rng.choice(behind)
            action = f"apply {i}"
            a_exc = e_exc = None
            try:
                impl[i].apply_committed()
            except Exception as exc:  # noqa: BLE001
                a_exc = exc
            try:
                etcd[i].apply_committed()
            except Exception as exc:  # noqa: BLE001
                e_exc = exc
            if (a_exc is None) != (e_exc is None):
                div = Divergence(step, action, "apply error", repr(a_exc), repr(e_exc))
            elif a_exc is not None:
                trace.append(f"{action}: both refuse ({e_exc}); run ends")
                STATS["refused"] += 1
                break
        elif roll < 0.65:
            action = f"tick {i}"
            impl[i].tick()
            etcd[i].tick()
        elif roll < 0.8 and conf and rng.random() < 0.8:
            # With conf changes, fewer elections: changes need a leader to commit and apply
            # them. A leader's heartbeat round instead (a message delivery if none).
            leaders = [j for j in ids if impl[j].status().role == "leader"]
            if not leaders and net:
                continue
            i = leaders[0] if leaders else i
            action = f"beat {i}"
            impl[i].beat()
            etcd[i].beat()
        elif roll < 0.8:
            action = f"campaign {i}"
            impl[i].campaign()
            etcd[i].campaign(reset_elapsed=False)
        elif roll < 0.87:
            action = f"beat {i}"
            impl[i].beat()
            etcd[i].beat()
        elif roll < 0.92 and not (conf and rng.random() < 0.8):
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
        if conf:
            st = impl[i].status()
            key = (seed, tuple(st.config.voters_in), tuple(st.config.voters_out),
                   tuple(st.config.learners))
            STATS["confs"].add(key)
            if st.config.voters_out:
                STATS["joint"].add(key)
            if (st.role == "leader" and action.startswith("deliver ('MsgVoteResp'")
                    and tuple(st.config.voters_in) != vs):
                STATS["conf_elections"] += 1
        a_st = status_tuple(impl[i].status(), et, conf)
        e_st = status_tuple(etcd[i].status(), et, conf)
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
    parser.add_argument("--conf", type=float, default=0.0,
                        help="chance of a membership-change proposal (and of an apply) per step")
    parser.add_argument("--fifo", action="store_true",
                        help="deliver each link's messages in order (drops still happen)")
    args = parser.parse_args(argv)
    failures = 0
    with Harness() as h:
        for k in range(args.runs):
            trace, div = run(args.seed + k, args.steps, h, args.pending, args.promoted, args.conf,
                             args.fifo)
            if div is not None:
                failures += 1
                print(f"run {args.seed + k}: step {div.step} {div.action}: {div.what} differ")
                print(f"    impl: {div.impl}\n    etcd: {div.etcd}")
                if args.verbose:
                    print("\n".join("    | " + t for t in trace[-30:]))
    print(f"{args.runs - failures}/{args.runs} runs agree")
    if args.conf:
        print(f"conf coverage: {len(STATS['confs'])} (run, configuration) pairs, "
              f"{len(STATS['joint'])} joint; {STATS['conf_elections']} elections won in a "
              f"changed configuration; {STATS['refused']} runs ended by an apply both refuse")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
