"""etcd's multi-node election tests (raft_test.go, etcd 3.4.23) in the scenario language.

etcd's `network.send` corresponds to `send(...)`/`hup(...)` followed by `deliver_all()`; a
black-hole peer (nopStepper) is an isolated node. Every test runs on both drivers, and on both
rule sets where a tally is involved.

Shared abstractions that change what can be checked (specs/SEMANTICS.md): commit indexes are
not modelled (etcd's expected logs with `committed: 1` are checked by their entry terms only);
every MsgApp carries the leader's whole log, so one round of messages replicates it (etcd gets
there by probing); the randomized election timeout is replaced by explicit `hup` steps.
"""

from __future__ import annotations

import pytest

from conformance.scenarios.language import (
    Cluster,
    DriverFactory,
    Msg,
    NodeInit,
    Scenario,
    Step,
    append,
    beat,
    cut,
    deliver_all,
    expect,
    expect_sent,
    heal,
    hup,
    isolate,
    run,
    scenario,
    send,
    sent,
    tick,
)

ET = 10
T1 = NodeInit(term=1)  # etcd's becomeFollower(1, None) before the network starts


def elect(nid: int) -> tuple[Step, Step]:
    """etcd's nt.send(MsgHup to nid)."""
    return hup(nid), deliver_all()


# --------------------------------------------------------------------------- TestLeaderElection

# (cluster size, isolated ids, initial logs, role of node 1 afterwards or None for "stuck")
LEADER_ELECTION_ROWS: list[tuple[int, tuple[int, ...], dict[int, tuple[int, ...]], str | None]] = [
    (3, (), {}, "leader"),
    (3, (3,), {}, "leader"),
    (3, (2, 3), {}, None),
    (4, (2, 3), {}, None),
    (5, (2, 3), {}, "leader"),
    # Longer logs at the candidate's own term answer with rejections: lost.
    (5, (), {2: (1,), 3: (1,), 4: (1, 1)}, "follower"),
]


def leader_election(pre_vote: bool, rules: str, row: int) -> Scenario:
    size, dead, logs, role = LEADER_ELECTION_ROWS[row]
    nodes = {nid: NodeInit(term=log[-1], log=log) for nid, log in logs.items()}
    c = Cluster(voters=size, pre_vote=pre_vote, rules=rules, nodes=nodes)
    if role is None:
        # A pre-vote that cannot complete leaves a pre-candidate at the old term.
        want = expect(1, role="pre-candidate", term=0) if pre_vote else expect(
            1, role="candidate", term=1)
    else:
        want = expect(1, role=role, term=1)
    return scenario(f"testLeaderElection#{row}", c,
                    *[isolate(d) for d in dead], *elect(1), want)


@pytest.mark.parametrize("row", range(len(LEADER_ELECTION_ROWS)))
def test_TestLeaderElection(driver: DriverFactory, rules: str, row: int) -> None:
    """etcd TestLeaderElection."""
    run(leader_election(False, rules, row), driver)


@pytest.mark.parametrize("row", range(len(LEADER_ELECTION_ROWS)))
def test_TestLeaderElectionPreVote(driver: DriverFactory, rules: str, row: int) -> None:
    """etcd TestLeaderElectionPreVote (the last row: the rejecting nodes are at term 1, above
    the pre-candidate's 0, so their rejection moves it to term 1 as a follower)."""
    run(leader_election(True, rules, row), driver)


# --------------------------------------------------------------------------- TestLeaderCycle


def leader_cycle(pre_vote: bool, rules: str) -> Scenario:
    steps: list[Step] = []
    for c in (1, 2, 3):
        steps += [*elect(c), expect(c, role="leader", lead=c)]
        steps += [expect(o, role="follower", lead=c) for o in (1, 2, 3) if o != c]
    return scenario("testLeaderCycle", Cluster(voters=3, pre_vote=pre_vote, rules=rules), *steps)


def test_TestLeaderCycle(driver: DriverFactory, rules: str) -> None:
    """etcd TestLeaderCycle: each node in turn campaigns and wins (not from a clean slate)."""
    run(leader_cycle(False, rules), driver)


def test_TestLeaderCyclePreVote(driver: DriverFactory, rules: str) -> None:
    """etcd TestLeaderCyclePreVote."""
    run(leader_cycle(True, rules), driver)


# --------------------------------------------------------------------------- overwrite newer logs


def overwrite_newer_logs(pre_vote: bool, rules: str) -> Scenario:
    c = Cluster(
        voters=5, pre_vote=pre_vote, rules=rules,
        nodes={
            1: NodeInit(term=1, log=(1,)),  # won term 1
            2: NodeInit(term=1, log=(1,)),  # got node 1's entry
            3: NodeInit(term=2, log=(2,)),  # won term 2, entry never sent
            4: NodeInit(term=2, vote=3),  # voted for 3, no entries
            5: NodeInit(term=2, vote=3),
        },
    )
    return scenario(
        "testLeaderElectionOverwriteNewerLogs", c,
        *elect(1),
        expect(1, role="follower", term=2),
        *elect(1),
        expect(1, role="leader", term=3),
        *[expect(n, log=(1, 3)) for n in range(1, 6)],
    )


def test_TestLeaderElectionOverwriteNewerLogs(driver: DriverFactory, rules: str) -> None:
    """etcd TestLeaderElectionOverwriteNewerLogs: the first campaign fails and pushes node 1
    to term 2, the second wins and its log overwrites node 3's newer entry."""
    run(overwrite_newer_logs(False, rules), driver)


def test_TestLeaderElectionOverwriteNewerLogsPreVote(driver: DriverFactory, rules: str) -> None:
    """etcd TestLeaderElectionOverwriteNewerLogsPreVote."""
    run(overwrite_newer_logs(True, rules), driver)


# --------------------------------------------------------------------------- dueling


def test_TestDuelingCandidates(driver: DriverFactory, rules: str) -> None:
    """etcd TestDuelingCandidates: node 3, cut off from 1, stays a candidate; after the heal
    its next campaign deposes 1 (higher term) but loses on its short log."""
    run(scenario(
        "TestDuelingCandidates", Cluster(voters=3, rules=rules),
        cut(1, 3),
        *elect(1),
        *elect(3),
        expect(1, role="leader", term=1),
        expect(3, role="candidate", term=1),
        heal(),
        *elect(3),
        expect(1, role="follower", term=2, log=(1,)),
        expect(2, role="follower", term=2, log=(1,)),
        expect(3, role="follower", term=2, log=()),
    ), driver)


def test_TestDuelingPreCandidates(driver: DriverFactory, rules: str) -> None:
    """etcd TestDuelingPreCandidates: with pre-vote node 3 never disrupts leader 1."""
    run(scenario(
        "TestDuelingPreCandidates", Cluster(voters=3, pre_vote=True, rules=rules),
        cut(1, 3),
        *elect(1),
        *elect(3),
        expect(1, role="leader", term=1),
        expect(3, role="follower", term=1),
        heal(),
        *elect(3),
        expect(1, role="leader", term=1, log=(1,)),
        expect(2, role="follower", term=1, log=(1,)),
        expect(3, role="follower", term=1, log=()),
    ), driver)


def test_TestCandidateConcede(driver: DriverFactory, rules: str) -> None:
    """etcd TestCandidateConcede: an isolated candidate of the leader's term yields to the
    leader's heartbeat and takes its log (etcd's `committed: 2` is not modelled)."""
    run(scenario(
        "TestCandidateConcede", Cluster(voters=3, rules=rules),
        isolate(1),
        *elect(1),
        *elect(3),
        heal(),
        beat(3), deliver_all(),
        append(3), deliver_all(),
        beat(3), deliver_all(),
        expect(1, role="follower", term=1, lead=3),
        *[expect(n, log=(1, 1)) for n in (1, 2, 3)],
    ), driver)


def candidate_reset_term(mtype: str, rules: str) -> Scenario:
    m = Msg(mtype, 1, 3, 3)
    return scenario(
        f"testCandidateResetTerm/{mtype}", Cluster(voters=3, rules=rules),
        *elect(1),
        expect(1, role="leader"), expect(2, role="follower"), expect(3, role="follower"),
        isolate(3),
        *elect(2),
        *elect(1),
        expect(1, role="leader", term=3), expect(2, role="follower", term=3),
        tick(3, ET), hup(3),
        expect(3, role="candidate", term=2),
        heal(),
        send(m), deliver_all(),
        expect(3, role="follower", term=3, lead=1),
    )


def test_TestCandidateResetTermMsgHeartbeat(driver: DriverFactory, rules: str) -> None:
    """etcd TestCandidateResetTermMsgHeartbeat: a lower-term candidate follows the leader's
    heartbeat at the leader's term."""
    run(candidate_reset_term("MsgHeartbeat", rules), driver)


def test_TestCandidateResetTermMsgApp(driver: DriverFactory, rules: str) -> None:
    """etcd TestCandidateResetTermMsgApp (an empty MsgApp)."""
    run(candidate_reset_term("MsgApp", rules), driver)


# --------------------------------------------------------------------------- check quorum


def test_TestLeaderSupersedingWithCheckQuorum(driver: DriverFactory, rules: str) -> None:
    """etcd TestLeaderSupersedingWithCheckQuorum: a follower inside its lease ignores a vote
    request; once its election timeout has passed it grants."""
    run(scenario(
        "TestLeaderSupersedingWithCheckQuorum",
        Cluster(voters=3, check_quorum=True, rules=rules),
        tick(2, ET),
        *elect(1),
        expect(1, role="leader"), expect(3, role="follower"),
        *elect(3),
        expect(3, role="candidate", term=2),
        tick(2, ET),
        *elect(3),
        expect(3, role="leader", term=3),
    ), driver)


def test_TestLeaderElectionWithCheckQuorum(driver: DriverFactory, rules: str) -> None:
    """etcd TestLeaderElectionWithCheckQuorum: after a full election timeout of ticks, the
    leader (which passed its check-quorum) still ignores node 3 but node 2 grants, and node 3's
    MsgApp then deposes the old leader."""
    run(scenario(
        "TestLeaderElectionWithCheckQuorum", Cluster(voters=3, check_quorum=True, rules=rules),
        *elect(1),
        expect(1, role="leader"), expect(3, role="follower"),
        tick(1, ET), tick(2, ET),
        expect(1, role="leader"),
        *elect(3),
        expect(1, role="follower", term=2, lead=3),
        expect(3, role="leader", term=2),
    ), driver)


def test_TestFreeStuckCandidateWithCheckQuorum(driver: DriverFactory, rules: str) -> None:
    """etcd TestFreeStuckCandidateWithCheckQuorum: a candidate stuck at a higher term answers
    the leader's heartbeat with a MsgAppResp that deposes the leader, and then wins."""
    run(scenario(
        "TestFreeStuckCandidateWithCheckQuorum",
        Cluster(voters=3, check_quorum=True, rules=rules),
        tick(2, ET),
        *elect(1),
        isolate(1),
        *elect(3),
        expect(2, role="follower", term=1),
        expect(3, role="candidate", term=2),
        *elect(3),
        expect(2, role="follower", term=1),
        expect(3, role="candidate", term=3),
        heal(),
        send(Msg("MsgHeartbeat", 1, 3, 1)),
        expect_sent(sent("MsgAppResp", frm=3, to=1, term=3)),
        deliver_all(),
        expect(1, role="follower", term=3),
        *elect(3),
        expect(3, role="leader", term=4),
    ), driver)


def test_TestNonPromotableVoterWithCheckQuorum(driver: DriverFactory, rules: str) -> None:
    """etcd TestNonPromotableVoterWithCheckQuorum: node 2 is counted by node 1 but is not
    promotable itself.

    Model abstraction: the model's only non-promotable voter is a learner that node 1 already
    counts as a voter (promoted_learners); etcd's node 2 is instead missing from its own
    configuration. Under etcd-3.4 anyone answers a vote request, so 1 wins as in etcd. Under
    seed a learner never answers, so node 1 cannot reach 2 of 2 and stays a candidate."""
    won = rules == "etcd-3.4"
    run(scenario(
        "TestNonPromotableVoterWithCheckQuorum",
        Cluster(voters=1, learners=1, promoted_learners=True, check_quorum=True, rules=rules),
        tick(2, ET),
        hup(2),
        expect(2, role="follower", term=0),
        *elect(1),
        expect(1, role="leader" if won else "candidate", term=1),
        expect(2, role="follower", lead=1 if won else 0),
    ), driver)


def test_TestDisruptiveFollower(driver: DriverFactory, rules: str) -> None:
    """etcd TestDisruptiveFollower: a follower whose timeout fires before the leader's
    heartbeat arrives becomes a candidate at term 3; its answer to the late heartbeat deposes
    the leader (its queued vote requests are ignored under the lease)."""
    run(scenario(
        "TestDisruptiveFollower",
        Cluster(voters=3, check_quorum=True, rules=rules, nodes={1: T1, 2: T1, 3: T1}),
        *elect(1),
        expect(1, role="leader", term=2),
        expect(2, role="follower", term=2), expect(3, role="follower", term=2),
        tick(3, ET), hup(3),
        expect(1, role="leader", term=2), expect(2, role="follower", term=2),
        expect(3, role="candidate", term=3),
        send(Msg("MsgHeartbeat", 1, 3, 2)),
        expect_sent(sent("MsgAppResp", frm=3, to=1, term=3)),
        deliver_all(),
        expect(1, role="follower", term=3),
        expect(2, role="follower", term=2),
        expect(3, role="candidate", term=3),
    ), driver)


def test_TestDisruptiveFollowerPreVote(driver: DriverFactory, rules: str) -> None:
    """etcd TestDisruptiveFollowerPreVote: a lagging node's pre-vote does not disrupt.

    etcd switches pre-vote on in the middle of the test; configurations are static here, so
    pre-vote is on from the start (the first election then has a pre-vote phase, with the
    same outcome)."""
    run(scenario(
        "TestDisruptiveFollowerPreVote",
        Cluster(voters=3, check_quorum=True, pre_vote=True, rules=rules,
                nodes={1: T1, 2: T1, 3: T1}),
        *elect(1),
        expect(1, role="leader", term=2),
        isolate(3),
        append(1), deliver_all(), append(1), deliver_all(), append(1), deliver_all(),
        heal(),
        *elect(3),
        expect(1, role="leader", term=2), expect(2, role="follower", term=2),
        expect(3, role="pre-candidate", term=2),
        send(Msg("MsgHeartbeat", 1, 3, 2)), deliver_all(),
        expect(1, role="leader", term=2),
        expect(3, role="follower", term=2, lead=1),
    ), driver)


# --------------------------------------------------------------------------- pre-vote


def test_TestPreVoteWithSplitVote(driver: DriverFactory, rules: str) -> None:
    """etcd TestPreVoteWithSplitVote: two pre-candidates both pass pre-vote and split the
    vote at term 3; the next election of node 2 wins at term 4."""
    run(scenario(
        "TestPreVoteWithSplitVote",
        Cluster(voters=3, pre_vote=True, rules=rules, nodes={1: T1, 2: T1, 3: T1}),
        *elect(1),
        isolate(1),
        hup(2), hup(3), deliver_all(),
        expect(2, role="candidate", term=3), expect(3, role="candidate", term=3),
        *elect(2),
        expect(2, role="leader", term=4), expect(3, role="follower", term=4),
    ), driver)


def test_TestPreVoteWithCheckQuorum(driver: DriverFactory, rules: str) -> None:
    """etcd TestPreVoteWithCheckQuorum: node 2 (in lease) ignores node 3's pre-vote, but node
    3, a pre-candidate without a leader, grants node 2's. etcd only checks "node 2 leader or
    node 3 follower"; the scenario checks both, at term 3."""
    run(scenario(
        "TestPreVoteWithCheckQuorum",
        Cluster(voters=3, pre_vote=True, check_quorum=True, rules=rules,
                nodes={1: T1, 2: T1, 3: T1}),
        *elect(1),
        isolate(1),
        expect(1, role="leader"), expect(2, role="follower"), expect(3, role="follower"),
        *elect(3),
        expect(3, role="pre-candidate", term=2),
        *elect(2),
        expect(2, role="leader", term=3),
        expect(3, role="follower", term=3, lead=2),
    ), driver)


def test_TestNodeWithSmallerTermCanCompleteElection(driver: DriverFactory, rules: str) -> None:
    """etcd TestNodeWithSmallerTermCanCompleteElection: a node that fell behind (term 1)
    rejoins as the leader is lost; its pre-vote is rejected with term 3, which moves it up,
    and the cluster elects again (etcd accepts node 1 or 3 as leader; with this schedule it is
    node 1, at term 4)."""
    run(scenario(
        "TestNodeWithSmallerTermCanCompleteElection",
        Cluster(voters=3, pre_vote=True, rules=rules, nodes={1: T1, 2: T1, 3: T1}),
        cut(1, 3), cut(2, 3),
        *elect(1),
        expect(1, role="leader"), expect(2, role="follower"),
        *elect(3),
        expect(3, role="pre-candidate", term=1),
        *elect(2),
        expect(1, role="follower", term=3),
        expect(2, role="leader", term=3),
        expect(3, role="pre-candidate", term=1),
        heal(), cut(2, 1), cut(2, 3),
        *elect(3),
        *elect(1),
        expect(1, role="leader", term=4),
        expect(3, role="follower", term=4, lead=1),
    ), driver)
