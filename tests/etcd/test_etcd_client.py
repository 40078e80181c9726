"""The harness client: errors name the last request, no zombies, restart on next use."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from etcdharness.client import (
    Config,
    EtcdRawNode,
    Harness,
    HarnessError,
    HarnessRequestError,
    message_from_json,
    message_to_json,
)
from impl.raft import ErrProposalDropped
from impl.raftpb import Entry, EntryType, Message, MessageType
from impl.rawnode import ErrStepLocalMsg

pytestmark = pytest.mark.etcd


def reaped(pid: int) -> bool:
    """True when no process (not even a zombie) has this pid any more."""
    return not Path(f"/proc/{pid}").exists()  # else running, or a zombie nobody waited for


def test_hello(harness: Harness) -> None:
    info = harness.hello()
    assert info["protocol"] == 1
    assert info["go"].startswith("go1.")


@pytest.mark.parametrize(
    "op,what",
    [("crash", "exited"), ("hang", "did not answer"), ("garbage", "garbage")],
)
def test_broken_harness_is_reported_and_restarted(harness_binary: Path, op: str, what: str) -> None:
    h = Harness(harness_binary, timeout=1.0)
    try:
        node = EtcdRawNode(Config(id=1, voters=(1, 2, 3)), h)
        pid = h.pid
        assert pid is not None
        with pytest.raises(HarnessError, match=what) as info:
            h.request(op, code=7)
        assert f'"op":"{op}"' in str(info.value)  # names the last request sent
        assert not h.alive
        assert reaped(pid)
        # The node lived in the dead process: using it says so.
        with pytest.raises(HarnessError, match="restarted"):
            node.status()
        # The next request starts a fresh process.
        assert h.hello()["protocol"] == 1
        assert h.pid != pid
    finally:
        h.close()


def test_context_manager_reaps(harness_binary: Path) -> None:
    with Harness(harness_binary) as h:
        pid = h.pid
        assert pid is not None and h.alive
    assert reaped(pid)


def test_error_responses(harness: Harness) -> None:
    with pytest.raises(HarnessRequestError, match="unknown op"):
        harness.request("no-such-op")
    with pytest.raises(HarnessRequestError, match="unknown node handle"):
        harness.request("tick", handle=10**9)
    with pytest.raises(HarnessRequestError, match="election tick must be greater"):
        EtcdRawNode(Config(id=1, voters=(1,), election_tick=1, heartbeat_tick=1), harness)
    node = EtcdRawNode(Config(id=1, voters=(1, 2, 3)), harness)
    with pytest.raises(ErrStepLocalMsg):
        node.step(Message(type=MessageType.MsgHup, frm=1, to=1))
    with pytest.raises(ErrProposalDropped):
        node.propose()  # a follower without a leader drops proposals
    assert harness.hello()["protocol"] == 1  # still usable


def test_panic_is_reported(harness: Harness) -> None:
    # Entries whose indexes do not follow m.Index make maybeAppend slice out of range.
    node = EtcdRawNode(Config(id=2, voters=(1, 2, 3)), harness)
    app = Message(type=MessageType.MsgApp, frm=1, to=2, term=2, entries=(Entry(term=2, index=5),))
    with pytest.raises(HarnessRequestError, match="etcd raft panicked") as info:
        node.step(app)
    assert info.value.kind == "panic"
    assert harness.hello()["protocol"] == 1  # the process survived


def test_message_round_trip() -> None:
    m = Message(
        type=MessageType.MsgApp,
        to=2,
        frm=1,
        term=3,
        log_term=2,
        index=5,
        entries=(Entry(term=3, index=6, type=EntryType.EntryConfChange, data=b"\x00x"),),
        commit=4,
        reject=True,
        context=b"CampaignTransfer",
        reject_hint=9,
    )
    assert message_from_json(message_to_json(m)) == m


def test_batch(harness: Harness) -> None:
    node = EtcdRawNode(Config(id=1, voters=(1, 2, 3)), harness)
    res = harness.batch(
        [
            {"op": "campaign", "handle": node.handle},
            {"op": "ready", "handle": node.handle},
            {"op": "nope"},
        ]
    )
    assert len(res[1]["messages"]) == 2
    assert "error" in res[2]


def test_no_leftover_children() -> None:
    """Every harness process this test session started is reaped (checked at the end)."""
    children = Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children")
    if not children.exists():
        pytest.skip("no /proc children file")
    for pid in children.read_text().split():
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except FileNotFoundError:
            continue
        assert ") Z " not in stat, f"zombie child {pid}: {stat}"


def test_impl_config_and_default_harness() -> None:
    """impl's Config drives an etcd node on the shared default harness."""
    from impl.config import Config as ImplConfig

    node = EtcdRawNode(ImplConfig(id=1, voters=(1,), election_tick=4, rand=lambda n: 0))
    node.raft.randomized_election_timeout = 4
    for _ in range(3):
        node.tick()
    assert node.status().role == "follower"
    node.tick()
    st = node.status()
    assert (st.role, st.term, st.log_terms) == ("leader", 1, [1])
    assert node.has_ready()
    node.ready()
    assert not node.has_ready()
    node.destroy()
