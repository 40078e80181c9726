//go:build raftcheck_overlay
// +build raftcheck_overlay

// This file is raftcheck's own code. It is not part of etcd: etcdharness/build.sh
// adds it to package go.etcd.io/etcd/raft at build time with `go build -overlay`,
// so that the harness can reach the raft state machine's internals (the
// randomized election timeout, electionElapsed, the vote tally, Progress) and
// step local messages (MsgHup, MsgBeat) exactly as raft.go's tick functions do.
//
// The build tag keeps the file out of any ordinary build of etcdharness/go.

package raft

import (
	"errors"
	"fmt"
	"io"
	"log"
	"math/rand"
	"os"
	"reflect"
	"sort"

	"go.etcd.io/etcd/raft/confchange"
	pb "go.etcd.io/etcd/raft/raftpb"
	"go.etcd.io/etcd/raft/tracker"
)

// HarnessBridge switches on the adaptations that map etcd's log replication onto
// the abstraction of specs/SEMANTICS.md. All false = etcd's own behaviour.
type HarnessBridge struct {
	// WholeLog: before every request handled by a leader, every follower's
	// Progress is reset to {Match: 0, Next: 1, StateProbe} (RecentActive and
	// IsLearner kept), so every MsgApp etcd sends carries the whole log from
	// index 1 with Index = LogTerm = 0. The broadcast etcd makes when a
	// candidate becomes leader (raft.go stepCandidate, becomeLeader + bcastAppend)
	// is replaced by a broadcast made by etcd's own bcastAppend after that reset.
	WholeLog bool `json:"whole_log"`
	// PinCommit: after every request the node's commit index is put back to its
	// initial value (0, or the index of the pending configuration entry), so
	// that commit never influences the Commit fields. While a leader handles a
	// request, and while a MsgApp is stepped, the commit and applied indexes are 0
	// (and the MsgApp a leader sends carry Commit 0), because handleAppendEntries answers
	// any MsgApp with m.Index < committed without appending (raft.go:1374); if
	// that MsgApp overwrote a pending node's committed configuration entry (a
	// state etcd itself can never reach) the request fails with a bridge error
	// and the node is no longer pending.
	PinCommit bool `json:"pin_commit"`
	// QuietLeader: messages a leader sends while stepping MsgAppResp or
	// MsgHeartbeatResp (commit-driven bcastAppend, catch-up MsgApp, MsgTimeoutNow
	// after catch-up) are withheld and reported as "suppressed".
	QuietLeader bool `json:"quiet_leader"`
	// TransferCaughtUp: transfer_leader first marks the transferee as caught up
	// (Match = lastIndex), so the leader sends MsgTimeoutNow at once, and then
	// clears leadTransferee so that proposals are not dropped afterwards.
	TransferCaughtUp bool `json:"transfer_caught_up"`
	// QuietTick: the MsgHeartbeats a leader sends from its own tick
	// (tickHeartbeat stepping MsgBeat every HeartbeatTick ticks) are withheld
	// and reported as "suppressed"; the model's tick sends nothing and its
	// heartbeat is a separate action (the "beat" request).
	QuietTick bool `json:"quiet_tick"`
	// CommitLog: the whole-log abstraction with commit tracking, for membership changes
	// (the model with conf changes on; use with WholeLog, PinCommit and QuietLeader off).
	// A leader's followers get Next = 1 and StateProbe before each request, their Match
	// kept (the model tracks match); every MsgApp a leader sends carries its whole log
	// (Index = LogTerm = 0, Commit as etcd set it); stepping MsgAppResp, a leader whose
	// commit did not move sends nothing (etcd's catch-up MsgApp to that follower is
	// withheld: the model only broadcasts on a commit advance); a follower steps a
	// whole-log MsgApp from its own commit index on (the committed prefix must equal the
	// leader's: raft.go:1374 would otherwise answer without appending); a transfer's
	// caught-up Match is put back afterwards.
	CommitLog bool `json:"commit_log"`
}

// tickKind marks a stepWith call made by Tick (no message type of its own).
const tickKind pb.MessageType = -1

// HarnessSpec describes one node's initial state and its view of the configuration.
type HarnessSpec struct {
	ID            uint64        `json:"id"`
	Voters        []uint64      `json:"voters"`
	Learners      []uint64      `json:"learners"`
	ElectionTick  int           `json:"election_tick"`
	HeartbeatTick int           `json:"heartbeat_tick"`
	PreVote       bool          `json:"pre_vote"`
	CheckQuorum   bool          `json:"check_quorum"`
	Term          uint64        `json:"term"`
	Vote          uint64        `json:"vote"`
	LogTerms      []uint64      `json:"log_terms"`
	PendingConf   bool          `json:"pending_conf"`
	Seed          int64         `json:"seed"`
	MaxInflight   int           `json:"max_inflight"`
	Bridge        HarnessBridge `json:"bridge"`
	// UncheckedElectionTick: allow ElectionTick <= HeartbeatTick (e.g. 1 and 1, the
	// model's default ET), which Config.validate refuses (raft.go:221-223): the
	// node is built with HeartbeatTick + 1 and electionTimeout is set afterwards.
	UncheckedElectionTick bool `json:"unchecked_election_tick"`
	// Rules: the rule set asked for (specs/HARNESS.md); etcd has "etcd-3.4" only ("" = it).
	Rules string `json:"rules"`
	// Membership changes (issue 14). VotersOut, LearnersNext and AutoLeave complete the
	// initial ConfState (a joint configuration); Voters and Learners both empty = a spare
	// node outside the configuration. LogChanges[i], when not null, makes entry i+1 a
	// configuration entry carrying that change. Commit and Applied are the initial commit
	// (HardState.Commit) and applied index (Config.Applied), applied <= commit <= last index.
	VotersOut    []uint64         `json:"voters_out"`
	LearnersNext []uint64         `json:"learners_next"`
	AutoLeave    bool             `json:"auto_leave"`
	LogChanges   []*HarnessChange `json:"log_changes"`
	Commit       uint64           `json:"commit"`
	Applied      uint64           `json:"applied"`
	// Join (a spare): the configuration the node takes on its first apply, before the
	// committed entries, as if the leader had sent it a snapshot carrying that ConfState
	// (the model's and impl's spares; etcd itself would need a snapshot, FINDINGS 27).
	Join *HarnessConfig `json:"join,omitempty"`
}

// HarnessChange is a configuration change on the wire: V2 false = a ConfChange (V1, one
// op, transition 0), true = a ConfChangeV2 (no ops = leave the joint configuration).
// Ops are [ConfChangeType, NodeID] pairs; Transition is a ConfChangeTransition.
type HarnessChange struct {
	V2         bool        `json:"v2"`
	Transition int32       `json:"transition"`
	Ops        [][2]uint64 `json:"ops"`
}

// Encode gives the entry type and data an application would propose for the change.
func (c HarnessChange) Encode() (pb.EntryType, []byte, error) {
	if !c.V2 {
		if len(c.Ops) != 1 || c.Transition != 0 {
			return 0, nil, errors.New("a V1 ConfChange has exactly one op and transition 0")
		}
		cc := pb.ConfChange{Type: pb.ConfChangeType(c.Ops[0][0]), NodeID: c.Ops[0][1]}
		data, err := cc.Marshal()
		return pb.EntryConfChange, data, err
	}
	cc := pb.ConfChangeV2{Transition: pb.ConfChangeTransition(c.Transition)}
	for _, op := range c.Ops {
		cc.Changes = append(cc.Changes, pb.ConfChangeSingle{Type: pb.ConfChangeType(op[0]), NodeID: op[1]})
	}
	data, err := cc.Marshal()
	return pb.EntryConfChangeV2, data, err
}

// Proposal is the ConfChangeI handed to RawNode.ProposeConfChange.
func (c HarnessChange) Proposal() (pb.ConfChangeI, error) {
	if !c.V2 {
		if len(c.Ops) != 1 || c.Transition != 0 {
			return nil, errors.New("a V1 ConfChange has exactly one op and transition 0")
		}
		return pb.ConfChange{Type: pb.ConfChangeType(c.Ops[0][0]), NodeID: c.Ops[0][1]}, nil
	}
	cc := pb.ConfChangeV2{Transition: pb.ConfChangeTransition(c.Transition)}
	for _, op := range c.Ops {
		cc.Changes = append(cc.Changes, pb.ConfChangeSingle{Type: pb.ConfChangeType(op[0]), NodeID: op[1]})
	}
	return cc, nil
}

// DecodeChange reads the change a configuration entry carries (nil for a normal entry).
func DecodeChange(e pb.Entry) (*HarnessChange, error) {
	switch e.Type {
	case pb.EntryConfChange:
		var cc pb.ConfChange
		if err := cc.Unmarshal(e.Data); err != nil {
			return nil, err
		}
		return &HarnessChange{Ops: [][2]uint64{{uint64(cc.Type), cc.NodeID}}}, nil
	case pb.EntryConfChangeV2:
		var cc pb.ConfChangeV2
		if err := cc.Unmarshal(e.Data); err != nil {
			return nil, err
		}
		out := &HarnessChange{V2: true, Transition: int32(cc.Transition), Ops: [][2]uint64{}}
		for _, ch := range cc.Changes {
			out.Ops = append(out.Ops, [2]uint64{uint64(ch.Type), ch.NodeID})
		}
		sort.Slice(out.Ops, func(i, j int) bool {
			a, b := out.Ops[i], out.Ops[j]
			return a[0] < b[0] || (a[0] == b[0] && a[1] < b[1])
		})
		return out, nil
	}
	return nil, nil
}

// HarnessConfig is a tracker.Config as sorted id lists.
type HarnessConfig struct {
	VotersIn     []uint64 `json:"voters_in"`
	VotersOut    []uint64 `json:"voters_out"`
	Learners     []uint64 `json:"learners"`
	LearnersNext []uint64 `json:"learners_next"`
	AutoLeave    bool     `json:"auto_leave"`
}

// HarnessEntry is one log entry with its decoded configuration change.
type HarnessEntry struct {
	Term   uint64         `json:"term"`
	Index  uint64         `json:"index"`
	Type   int32          `json:"type"`
	Change *HarnessChange `json:"change,omitempty"`
}

// HarnessProgress is a copy of a tracker.Progress without the inflight window.
type HarnessProgress struct {
	Match        uint64 `json:"match"`
	Next         uint64 `json:"next"`
	State        string `json:"state"`
	ProbeSent    bool   `json:"probe_sent"`
	RecentActive bool   `json:"recent_active"`
	IsLearner    bool   `json:"is_learner"`
}

// HarnessStatus is everything a conformance check may want to compare.
type HarnessStatus struct {
	ID                        uint64                     `json:"id"`
	Term                      uint64                     `json:"term"`
	Vote                      uint64                     `json:"vote"`
	Lead                      uint64                     `json:"lead"`
	Role                      string                     `json:"role"`
	ElectionElapsed           int                        `json:"election_elapsed"`
	HeartbeatElapsed          int                        `json:"heartbeat_elapsed"`
	RandomizedElectionTimeout int                        `json:"randomized_election_timeout"`
	Votes                     map[uint64]bool            `json:"votes"`
	RecentActive              []uint64                   `json:"recent_active"`
	LogTerms                  []uint64                   `json:"log_terms"`
	Commit                    uint64                     `json:"commit"`
	Applied                   uint64                     `json:"applied"`
	LeadTransferee            uint64                     `json:"lead_transferee"`
	IsLearner                 bool                       `json:"is_learner"`
	Promotable                bool                       `json:"promotable"`
	Progress                  map[uint64]HarnessProgress `json:"progress"`
	PersistedTerm             uint64                     `json:"persisted_term"`
	PersistedVote             uint64                     `json:"persisted_vote"`
	PersistedCommit           uint64                     `json:"persisted_commit"`
	PersistedLogTerms         []uint64                   `json:"persisted_log_terms"`
	PendingMessages           int                        `json:"pending_messages"`
	HasReady                  bool                       `json:"has_ready"`
	// Membership changes: the tracker's configuration, pendingConfIndex, a leader's
	// match index per tracked node (empty elsewhere), every log entry with its change.
	Config           HarnessConfig     `json:"config"`
	PendingConfIndex uint64            `json:"pending_conf_index"`
	Match            map[uint64]uint64 `json:"match"`
	Entries          []HarnessEntry    `json:"entries"`
}

// HarnessNode is one RawNode with its MemoryStorage and its own random source.
type HarnessNode struct {
	spec         HarnessSpec
	storage      *MemoryStorage
	rn           *RawNode
	rng          *rand.Rand
	src          rand.Source
	pinnedCommit uint64
	applied      uint64
	suppressed   []pb.Message
	// held: messages of the Ready taken by ApplyCommitted, returned by the next Ready.
	held []pb.Message
	// joined: the spare's Join configuration was taken.
	joined    bool
	bridgeErr error
	// pinnedTimeout > 0: randomizedElectionTimeout is put back to it after
	// every request (etcd redraws it on every becomeFollower/Candidate/Leader).
	pinnedTimeout int
}

// BridgeError reports a state the bridge cannot map onto etcd.
type BridgeError struct{ msg string }

func (e BridgeError) Error() string { return "bridge: " + e.msg }

var harnessLogger Logger = &DefaultLogger{Logger: log.New(io.Discard, "", 0)}

func init() {
	if os.Getenv("RAFTHARNESS_LOG") != "" {
		harnessLogger = &DefaultLogger{Logger: log.New(os.Stderr, "raft ", 0)}
	}
}

var roleNames = map[StateType]string{
	StateFollower:     "follower",
	StatePreCandidate: "pre-candidate",
	StateCandidate:    "candidate",
	StateLeader:       "leader",
}

// NewHarnessNode seeds a MemoryStorage (ConfState, HardState, entries; no
// Bootstrap, whose config entries would stay unapplied and block campaigns) and
// starts a RawNode on it.
func NewHarnessNode(spec HarnessSpec) (h *HarnessNode, err error) {
	defer recoverInto(&err)
	if spec.ID == 0 {
		return nil, errors.New("node id must not be 0")
	}
	if spec.Rules != "" && spec.Rules != "etcd-3.4" {
		return nil, errors.New("etcd implements the etcd-3.4 rules only (rules=" + spec.Rules + ")")
	}
	if spec.HeartbeatTick == 0 {
		spec.HeartbeatTick = 1
	}
	if spec.MaxInflight <= 0 {
		spec.MaxInflight = 256
	}
	if spec.PendingConf && len(spec.LogTerms) == 0 {
		return nil, errors.New("pending_conf needs a non-empty log (the last entry becomes the unapplied configuration change)")
	}
	ms := NewMemoryStorage()
	ms.snapshot.Metadata.ConfState = pb.ConfState{
		Voters:         append([]uint64(nil), spec.Voters...),
		Learners:       append([]uint64(nil), spec.Learners...),
		VotersOutgoing: append([]uint64(nil), spec.VotersOut...),
		LearnersNext:   append([]uint64(nil), spec.LearnersNext...),
		AutoLeave:      spec.AutoLeave,
	}
	if len(spec.LogChanges) > len(spec.LogTerms) {
		return nil, errors.New("log_changes is longer than log_terms")
	}
	ents := make([]pb.Entry, len(spec.LogTerms))
	for i, t := range spec.LogTerms {
		ents[i] = pb.Entry{Term: t, Index: uint64(i + 1), Type: pb.EntryNormal}
		if i < len(spec.LogChanges) && spec.LogChanges[i] != nil {
			typ, data, cerr := spec.LogChanges[i].Encode()
			if cerr != nil {
				return nil, fmt.Errorf("log entry %d: %v", i+1, cerr)
			}
			ents[i].Type, ents[i].Data = typ, data
		}
	}
	commit, applied := spec.Commit, spec.Applied
	if applied > commit || commit > uint64(len(ents)) {
		return nil, errors.New("need applied <= commit <= the log's last index")
	}
	if spec.Bridge.PinCommit && commit > 0 {
		return nil, errors.New("commit > 0 needs a bridge without pin_commit")
	}
	if spec.PendingConf && commit > 0 {
		return nil, errors.New("pending_conf sets commit and applied itself")
	}
	if spec.PendingConf {
		last := len(ents) - 1
		cc := pb.ConfChange{Type: pb.ConfChangeAddNode, NodeID: spec.ID}
		data, merr := cc.Marshal()
		if merr != nil {
			return nil, merr
		}
		ents[last].Type = pb.EntryConfChange
		ents[last].Data = data
		commit = uint64(len(ents))
		applied = commit - 1
	}
	if len(ents) > 0 {
		if aerr := ms.Append(ents); aerr != nil {
			return nil, aerr
		}
	}
	if serr := ms.SetHardState(pb.HardState{Term: spec.Term, Vote: spec.Vote, Commit: commit}); serr != nil {
		return nil, serr
	}
	src := rand.NewSource(spec.Seed)
	h = &HarnessNode{
		spec:         spec,
		storage:      ms,
		rng:          rand.New(src),
		src:          src,
		pinnedCommit: commit,
		applied:      applied,
	}
	if err := h.start(); err != nil {
		return nil, err
	}
	return h, nil
}

func (h *HarnessNode) config() *Config {
	return &Config{
		ID:              h.spec.ID,
		ElectionTick:    h.spec.ElectionTick,
		HeartbeatTick:   h.spec.HeartbeatTick,
		Storage:         h.storage,
		Applied:         h.applied,
		MaxSizePerMsg:   noLimit,
		MaxInflightMsgs: h.spec.MaxInflight,
		CheckQuorum:     h.spec.CheckQuorum,
		PreVote:         h.spec.PreVote,
		Logger:          harnessLogger,
	}
}

func (h *HarnessNode) start() error {
	globalRand.rand = h.rng
	cfg := h.config()
	unchecked := h.spec.UncheckedElectionTick && cfg.ElectionTick <= cfg.HeartbeatTick &&
		cfg.ElectionTick > 0
	if unchecked {
		cfg.ElectionTick = cfg.HeartbeatTick + 1
	}
	if err := cfg.validate(); err != nil {
		return err
	}
	rn, err := NewRawNode(cfg)
	if err != nil {
		return err
	}
	if unchecked {
		rn.raft.electionTimeout = h.spec.ElectionTick
		rn.raft.resetRandomizedElectionTimeout()
	}
	h.rn = rn
	h.suppressed = nil
	h.held = nil
	if h.pinnedTimeout > 0 {
		rn.raft.randomizedElectionTimeout = h.pinnedTimeout
	}
	return nil
}

// harnessPanic is an error made from a panic inside etcd's raft code.
type harnessPanic struct{ value interface{} }

func (p harnessPanic) Error() string { return fmt.Sprintf("etcd raft panicked: %v", p.value) }

// IsHarnessPanic tells whether err comes from a recovered panic.
func IsHarnessPanic(err error) bool {
	var p harnessPanic
	return errors.As(err, &p)
}

func recoverInto(err *error) {
	if p := recover(); p != nil {
		*err = harnessPanic{p}
	}
}

// begin prepares a request: the node's own random source becomes etcd's
// globalRand (so each node's randomized timeouts do not depend on what other
// nodes did), and with WholeLog a leader's followers are reset to Next = 1.
func (h *HarnessNode) begin() *raft {
	globalRand.rand = h.rng
	r := h.rn.raft
	if (h.spec.Bridge.WholeLog || h.spec.Bridge.CommitLog) && r.state == StateLeader {
		h.resetProgress()
	}
	if h.spec.Bridge.PinCommit && r.state == StateLeader {
		// A leader ignores MsgHup, so it never needs its pending configuration
		// entry to look committed; with commit 0 its MsgApp carry Commit 0.
		r.raftLog.committed, r.raftLog.applied = 0, 0
	}
	return r
}

func (h *HarnessNode) end() {
	if h.pinnedTimeout > 0 {
		h.rn.raft.randomizedElectionTimeout = h.pinnedTimeout
	}
	if !h.spec.Bridge.PinCommit {
		return
	}
	l := h.rn.raft.raftLog
	if k := h.pinnedCommit; k > 0 {
		pending := false
		if k <= l.lastIndex() {
			if ents, err := l.slice(k, k+1, noLimit); err == nil && len(ents) == 1 {
				pending = ents[0].Type == pb.EntryConfChange
			}
		}
		if !pending {
			h.bridgeErr = BridgeError{fmt.Sprintf(
				"node %d's committed configuration entry at index %d was overwritten or removed "+
					"by a MsgApp (etcd never overwrites committed entries); the node is no longer pending",
				h.spec.ID, k)}
			h.pinnedCommit, h.applied = 0, 0
		}
	}
	l.committed = h.pinnedCommit
	l.applied = h.applied
}

func (h *HarnessNode) resetProgress() {
	r := h.rn.raft
	r.prs.Visit(func(id uint64, pr *tracker.Progress) {
		if id == r.id {
			return
		}
		match := uint64(0)
		if h.spec.Bridge.CommitLog {
			match = pr.Match
		}
		*pr = tracker.Progress{
			Match:        match,
			Next:         1,
			State:        tracker.StateProbe,
			Inflights:    tracker.NewInflights(r.prs.MaxInflight),
			IsLearner:    pr.IsLearner,
			RecentActive: pr.RecentActive,
		}
	})
}

// stepWith runs f (which steps one message into the raft state machine) and
// applies the bridge rules to what it sent.
func (h *HarnessNode) stepWith(mtype pb.MessageType, f func() error) (err error) {
	defer func() {
		if err == nil && h.bridgeErr != nil {
			err = h.bridgeErr
		}
		h.bridgeErr = nil
	}()
	defer recoverInto(&err)
	r := h.begin()
	defer h.end()
	wasLeader := r.state == StateLeader
	n0 := len(r.msgs)
	if h.spec.Bridge.PinCommit && mtype == pb.MsgApp {
		r.raftLog.committed, r.raftLog.applied = 0, 0
	}
	commit0 := r.raftLog.committed
	err = f()
	if n0 > len(r.msgs) { // cannot happen: msgs only shrink in Ready
		n0 = len(r.msgs)
	}
	isLeader := r.state == StateLeader
	b := h.spec.Bridge
	switch {
	case !wasLeader && isLeader && b.WholeLog:
		kept := r.msgs[:n0:n0]
		replaced := false
		for _, m := range r.msgs[n0:] {
			if m.Type == pb.MsgApp {
				replaced = true
				continue
			}
			kept = append(kept, m)
		}
		if replaced {
			r.msgs = kept
			h.resetProgress()
			r.bcastAppend()
		}
	case wasLeader && isLeader && b.QuietLeader && (mtype == pb.MsgAppResp || mtype == pb.MsgHeartbeatResp):
		h.suppressed = append(h.suppressed, r.msgs[n0:]...)
		r.msgs = r.msgs[:n0:n0]
	case wasLeader && b.QuietTick && mtype == tickKind:
		kept := r.msgs[:n0:n0]
		for _, m := range r.msgs[n0:] {
			if m.Type == pb.MsgHeartbeat {
				h.suppressed = append(h.suppressed, m)
			} else {
				kept = append(kept, m)
			}
		}
		r.msgs = kept
	}
	if b.CommitLog && isLeader {
		if wasLeader && mtype == pb.MsgAppResp && r.raftLog.committed == commit0 {
			h.suppressed = append(h.suppressed, r.msgs[n0:]...)
			r.msgs = r.msgs[:n0:n0]
		}
		if werr := h.wholeLogMsgApps(r.msgs[n0:]); werr != nil && err == nil {
			err = werr
		}
	}
	if b.PinCommit && isLeader {
		// A leader whose voters are itself alone commits in appendEntry
		// (raft.go:660) before bcastAppend, and a pending node that just won
		// still has its pinned commit; commit is not modelled.
		for i := n0; i < len(r.msgs); i++ {
			if r.msgs[i].Type == pb.MsgApp {
				r.msgs[i].Commit = 0
			}
		}
	}
	return err
}

// Tick is RawNode.Tick.
func (h *HarnessNode) Tick() error {
	return h.stepWith(tickKind, func() error { h.rn.Tick(); return nil })
}

// Campaign is tickElection firing: electionElapsed = 0, then Step(MsgHup).
// With resetElapsed false it is RawNode.Campaign (electionElapsed kept).
func (h *HarnessNode) Campaign(resetElapsed bool) error {
	return h.stepWith(pb.MsgHup, func() error {
		r := h.rn.raft
		if resetElapsed {
			r.electionElapsed = 0
		}
		return r.Step(pb.Message{From: r.id, Type: pb.MsgHup})
	})
}

// Beat steps MsgBeat as tickHeartbeat does.
func (h *HarnessNode) Beat() error {
	return h.stepWith(pb.MsgBeat, func() error {
		r := h.rn.raft
		return r.Step(pb.Message{From: r.id, Type: pb.MsgBeat})
	})
}

// Step is RawNode.Step (which refuses local messages). A MsgTransferLeader
// (a follower forwards TransferLeader to its leader) gets TransferCaughtUp too.
// plantedDoubleVote is a test-only switch (RAFTHARNESS_BUG=double-vote, for the tests of
// trace validation): a node that voted in this term forgets its vote before a vote request
// of another candidate of the same term, so that it may grant a second vote.
var plantedDoubleVote = os.Getenv("RAFTHARNESS_BUG") == "double-vote"

func (h *HarnessNode) Step(m pb.Message) error {
	if plantedDoubleVote && m.Type == pb.MsgVote {
		if r := h.rn.raft; m.Term == r.Term && r.Vote != None && r.Vote != m.From {
			r.Vote = None
		}
	}
	if m.Type == pb.MsgApp && h.spec.Bridge.CommitLog {
		var terr error
		if m, terr = h.fromCommit(m); terr != nil {
			return terr
		}
	}
	if m.Type == pb.MsgTransferLeader {
		return h.stepWith(m.Type, func() error {
			return h.transferCaughtUp(m.From, func() error { return h.rn.Step(m) })
		})
	}
	return h.stepWith(m.Type, func() error { return h.rn.Step(m) })
}

// fromCommit (CommitLog) turns a whole-log MsgApp for a follower whose commit index is
// above m.Index into the same log sent from that commit index on, which etcd appends
// (raft.go:1374 answers an older MsgApp with the commit index and appends nothing). The
// committed prefix must be the leader's (Log Matching); otherwise it is a bridge error.
func (h *HarnessNode) fromCommit(m pb.Message) (pb.Message, error) {
	l := h.rn.raft.raftLog
	c := l.committed
	if m.Index != 0 || m.Term < h.rn.raft.Term || c == 0 {
		return m, nil
	}
	k := c
	if uint64(len(m.Entries)) < c {
		// A stale append (its log is a prefix of the committed one): etcd's own answer to
		// an append below its commit index, MsgAppResp{Index: committed} (raft.go:1374).
		k = uint64(len(m.Entries))
	}
	for i := uint64(1); i <= k; i++ {
		t, terr := l.term(i)
		if terr != nil || t != m.Entries[i-1].Term {
			return m, BridgeError{fmt.Sprintf("node %d: the MsgApp's entry %d differs from its "+
				"committed one (etcd never overwrites committed entries)", h.spec.ID, i)}
		}
	}
	m.LogTerm, _ = l.term(k)
	m.Index = k
	m.Entries = append([]pb.Entry(nil), m.Entries[k:]...)
	return m, nil
}

// transferCaughtUp runs f (which steps a MsgTransferLeader for transferee to)
// with TransferCaughtUp applied when this node is the leader.
func (h *HarnessNode) transferCaughtUp(to uint64, f func() error) error {
	r := h.rn.raft
	caughtUp := h.spec.Bridge.TransferCaughtUp && r.state == StateLeader
	if pr := r.prs.Progress[to]; caughtUp && pr != nil && to != r.id {
		if h.spec.Bridge.CommitLog {
			defer func(match uint64) {
				if p := r.prs.Progress[to]; p != nil {
					p.Match = match
				}
			}(pr.Match)
		}
		pr.Match = r.raftLog.lastIndex()
		if pr.Next <= pr.Match {
			pr.Next = pr.Match + 1
		}
	}
	err := f()
	if caughtUp && r.state == StateLeader {
		r.abortLeaderTransfer()
	}
	return err
}

// Propose is RawNode.Propose; returns ErrProposalDropped when etcd drops it.
func (h *HarnessNode) Propose(data []byte) error {
	return h.stepWith(pb.MsgProp, func() error { return h.rn.Propose(data) })
}

// TransferLeader is RawNode.TransferLeader (plus TransferCaughtUp).
func (h *HarnessNode) TransferLeader(to uint64) error {
	return h.stepWith(pb.MsgTransferLeader, func() error {
		return h.transferCaughtUp(to, func() error { h.rn.TransferLeader(to); return nil })
	})
}

// SetRandomizedElectionTimeout overrides the value drawn from globalRand. With
// sticky it is kept (re-applied after every request, and after a restart)
// until a non-sticky set.
func (h *HarnessNode) SetRandomizedElectionTimeout(v int, sticky bool) {
	h.rn.raft.randomizedElectionTimeout = v
	h.pinnedTimeout = 0
	if sticky {
		h.pinnedTimeout = v
	}
}

// SetElectionElapsed overrides electionElapsed (for table tests).
func (h *HarnessNode) SetElectionElapsed(v int) {
	h.rn.raft.electionElapsed = v
}

// Ready takes the RawNode's Ready, persists HardState and entries to the
// MemoryStorage and advances. Committed entries are never applied (the applied
// index stays at its initial value, so a pending configuration change stays
// pending, as SEMANTICS.md's static pending_conf).
func (h *HarnessNode) Ready() (msgs []pb.Message, suppressed []pb.Message, err error) {
	defer recoverInto(&err)
	globalRand.rand = h.rng
	rd := h.rn.Ready()
	if !IsEmptyHardState(rd.HardState) {
		if err := h.storage.SetHardState(rd.HardState); err != nil {
			return nil, nil, err
		}
	}
	if len(rd.Entries) > 0 {
		if err := h.storage.Append(rd.Entries); err != nil {
			return nil, nil, err
		}
	}
	adv := rd
	adv.CommittedEntries = nil
	h.rn.Advance(adv)
	suppressed = h.suppressed
	h.suppressed = nil
	msgs = append(h.held, rd.Messages...)
	h.held = nil
	return msgs, suppressed, nil
}

// applyKind marks a stepWith call made by ApplyCommitted (no message type of its own).
const applyKind pb.MessageType = -2

// ApplyCommitted is one turn of an application's loop that applies: take the Ready,
// persist its HardState and entries, apply every committed entry (configuration entries
// through RawNode.ApplyConfChange; the resulting ConfState is persisted as the
// application would), then Advance with them, so that etcd's own advance moves the
// applied index and proposes the automatic leave of a joint configuration. The Ready's
// messages are returned by the next ready request. It answers the entries applied.
func (h *HarnessNode) ApplyCommitted() (applied []pb.Entry, err error) {
	if h.spec.Bridge.PinCommit {
		return nil, errors.New("apply_committed needs a bridge without pin_commit (it pins commit and applied)")
	}
	err = h.stepWith(applyKind, func() error {
		if r := h.rn.raft; h.spec.Bridge.CommitLog && r.state == StateLeader {
			// The model's switchToConfig probes only the ids the change adds: the
			// followers already tracked look caught up (no MsgApp unless the commit
			// moves, which broadcasts), new ones get etcd's own Next = lastIndex.
			last := r.raftLog.lastIndex()
			r.prs.Visit(func(id uint64, pr *tracker.Progress) {
				if id != r.id {
					pr.Next = last + 1
				}
			})
		}
		rd := h.rn.Ready()
		if !IsEmptyHardState(rd.HardState) {
			if err := h.storage.SetHardState(rd.HardState); err != nil {
				return err
			}
		}
		if len(rd.Entries) > 0 {
			if err := h.storage.Append(rd.Entries); err != nil {
				return err
			}
		}
		if err := h.maybeJoin(len(rd.CommittedEntries) > 0); err != nil {
			return err
		}
		for _, e := range rd.CommittedEntries {
			cc, derr := DecodeChange(e)
			if derr != nil {
				return derr
			}
			if cc == nil {
				continue
			}
			prop, perr := cc.Proposal()
			if perr != nil {
				return perr
			}
			cs := h.rn.ApplyConfChange(prop)
			h.storage.Lock()
			h.storage.snapshot.Metadata.ConfState = *cs
			h.storage.Unlock()
		}
		if n := len(rd.CommittedEntries); n > 0 {
			h.applied = rd.CommittedEntries[n-1].Index
		}
		h.held = append(h.held, rd.Messages...)
		if r := h.rn.raft; h.spec.Bridge.CommitLog && r.state == StateLeader {
			// What switchToConfig sent carries the log as it is before Advance appends
			// an automatic leave (which 3.4.23 does not send).
			if werr := h.wholeLogMsgApps(r.msgs); werr != nil {
				return werr
			}
			h.held = append(h.held, r.msgs...)
			r.msgs = nil
		}
		h.rn.Advance(rd)
		applied = rd.CommittedEntries
		return nil
	})
	return applied, err
}

// wholeLogMsgApps (CommitLog) makes every MsgApp in msgs carry the leader's whole log
// (Index = LogTerm = 0), as the log is now.
func (h *HarnessNode) wholeLogMsgApps(msgs []pb.Message) error {
	whole, err := h.rn.raft.raftLog.entries(1, noLimit)
	if err != nil {
		return err
	}
	for i := range msgs {
		if m := &msgs[i]; m.Type == pb.MsgApp {
			m.Index, m.LogTerm = 0, 0
			m.Entries = append([]pb.Entry(nil), whole...)
		}
	}
	return nil
}

// maybeJoin gives a spare (empty configuration, nothing applied yet) its Join
// configuration before its first apply, as a snapshot's ConfState would.
func (h *HarnessNode) maybeJoin(applying bool) error {
	r := h.rn.raft
	cfg := r.prs.Config
	if h.spec.Join == nil || h.joined || !applying || h.applied != 0 ||
		len(cfg.Voters[0]) > 0 || len(cfg.Voters[1]) > 0 || len(cfg.Learners) > 0 {
		return nil
	}
	j := h.spec.Join
	cs := pb.ConfState{
		Voters: append([]uint64(nil), j.VotersIn...), VotersOutgoing: append([]uint64(nil), j.VotersOut...),
		Learners: append([]uint64(nil), j.Learners...), LearnersNext: append([]uint64(nil), j.LearnersNext...),
		AutoLeave: j.AutoLeave,
	}
	ncfg, prs, err := confchange.Restore(confchange.Changer{Tracker: r.prs, LastIndex: r.raftLog.lastIndex()}, cs)
	if err != nil {
		return err
	}
	out := r.switchToConfig(ncfg, prs)
	h.storage.Lock()
	h.storage.snapshot.Metadata.ConfState = out
	h.storage.Unlock()
	h.joined = true
	return nil
}

// ConfAware: the node's configuration entries are reported with their changes (messages
// and status); not with a bridge that pins commit (the static abstraction, in which the
// pending_conf emulation's entry is a plain entry of its term).
func (h *HarnessNode) ConfAware() bool { return !h.spec.Bridge.PinCommit }

// ProposeConfChange is RawNode.ProposeConfChange; ErrProposalDropped when etcd drops it
// (a refused change is not dropped: etcd appends an empty normal entry instead).
func (h *HarnessNode) ProposeConfChange(c HarnessChange) error {
	prop, err := c.Proposal()
	if err != nil {
		return err
	}
	return h.stepWith(pb.MsgProp, func() error { return h.rn.ProposeConfChange(prop) })
}

func sortedIDs(set map[uint64]struct{}) []uint64 {
	out := make([]uint64, 0, len(set))
	for id := range set {
		out = append(out, id)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// Restart starts a new RawNode from what was persisted by Ready (HardState and
// log); unpersisted state is lost, as in a crash.
func (h *HarnessNode) Restart() (err error) {
	defer recoverInto(&err)
	return h.start()
}

func termsOf(ents []pb.Entry) []uint64 {
	out := make([]uint64, len(ents))
	for i, e := range ents {
		out[i] = e.Term
	}
	return out
}

// Status reads the state machine.
func (h *HarnessNode) Status() (st HarnessStatus, err error) {
	defer recoverInto(&err)
	r := h.rn.raft
	ents, eerr := r.raftLog.entries(r.raftLog.firstIndex(), noLimit)
	if eerr != nil {
		return st, eerr
	}
	st = HarnessStatus{
		ID:                        r.id,
		Term:                      r.Term,
		Vote:                      r.Vote,
		Lead:                      r.lead,
		Role:                      roleNames[r.state],
		ElectionElapsed:           r.electionElapsed,
		HeartbeatElapsed:          r.heartbeatElapsed,
		RandomizedElectionTimeout: r.randomizedElectionTimeout,
		Votes:                     map[uint64]bool{},
		RecentActive:              []uint64{},
		LogTerms:                  termsOf(ents),
		Commit:                    r.raftLog.committed,
		Applied:                   r.raftLog.applied,
		LeadTransferee:            r.leadTransferee,
		IsLearner:                 r.isLearner,
		Promotable:                r.promotable(),
		Progress:                  map[uint64]HarnessProgress{},
		PendingMessages:           len(r.msgs),
		HasReady:                  h.rn.HasReady(),
	}
	for id, v := range r.prs.Votes {
		st.Votes[id] = v
	}
	for id, pr := range r.prs.Progress {
		if pr.RecentActive {
			st.RecentActive = append(st.RecentActive, id)
		}
		st.Progress[id] = HarnessProgress{
			Match: pr.Match, Next: pr.Next, State: pr.State.String(), ProbeSent: pr.ProbeSent,
			RecentActive: pr.RecentActive, IsLearner: pr.IsLearner,
		}
	}
	sort.Slice(st.RecentActive, func(i, j int) bool { return st.RecentActive[i] < st.RecentActive[j] })
	cfg := r.prs.Config
	st.Config = HarnessConfig{
		VotersIn:     sortedIDs(cfg.Voters[0]),
		VotersOut:    sortedIDs(cfg.Voters[1]),
		Learners:     sortedIDs(cfg.Learners),
		LearnersNext: sortedIDs(cfg.LearnersNext),
		AutoLeave:    cfg.AutoLeave,
	}
	st.PendingConfIndex = r.pendingConfIndex
	st.Match = map[uint64]uint64{}
	if r.state == StateLeader {
		for id, pr := range r.prs.Progress {
			st.Match[id] = pr.Match
		}
	}
	st.Entries = make([]HarnessEntry, len(ents))
	for i, e := range ents {
		var cc *HarnessChange
		if h.ConfAware() {
			var derr error
			if cc, derr = DecodeChange(e); derr != nil {
				return st, derr
			}
		}
		st.Entries[i] = HarnessEntry{Term: e.Term, Index: e.Index, Type: int32(e.Type), Change: cc}
	}
	hs, _, _ := h.storage.InitialState()
	st.PersistedTerm, st.PersistedVote, st.PersistedCommit = hs.Term, hs.Vote, hs.Commit
	last, _ := h.storage.LastIndex()
	st.PersistedLogTerms = []uint64{}
	if last > 0 {
		pents, perr := h.storage.Entries(1, last+1, noLimit)
		if perr != nil {
			return st, perr
		}
		st.PersistedLogTerms = termsOf(pents)
	}
	return st, nil
}

// cloneRand copies a *rand.Rand including its source's state (the source's type
// is unexported; reflect copies the whole struct value without naming fields).
func cloneRand(_ *rand.Rand, src rand.Source) (*rand.Rand, rand.Source) {
	v := reflect.ValueOf(src)
	if v.Kind() != reflect.Ptr {
		return rand.New(src), src
	}
	cp := reflect.New(v.Elem().Type())
	cp.Elem().Set(v.Elem())
	ns := cp.Interface().(rand.Source)
	return rand.New(ns), ns
}

// Clone returns an independent copy of the node (storage, raft state machine,
// progress, random source, bridge bookkeeping): the differential checker runs a
// step on a copy and keeps the original as it was.
func (h *HarnessNode) Clone() (c *HarnessNode, err error) {
	defer recoverInto(&err)
	ms := NewMemoryStorage()
	h.storage.Lock()
	ms.hardState = h.storage.hardState
	ms.snapshot = h.storage.snapshot
	ms.ents = append([]pb.Entry(nil), h.storage.ents...)
	h.storage.Unlock()

	r := h.rn.raft
	r2 := new(raft)
	*r2 = *r
	l2 := *r.raftLog
	l2.storage = ms
	l2.unstable.entries = append([]pb.Entry(nil), r.raftLog.unstable.entries...)
	if s := r.raftLog.unstable.snapshot; s != nil {
		sc := *s
		l2.unstable.snapshot = &sc
	}
	r2.raftLog = &l2
	r2.prs = tracker.ProgressTracker{
		Config:      r.prs.Config.Clone(),
		Progress:    tracker.ProgressMap{},
		Votes:       map[uint64]bool{},
		MaxInflight: r.prs.MaxInflight,
	}
	// tracker.Config.Clone leaves AutoLeave out (tracker.go:96-112; confchange sets it
	// itself after cloning): a joint configuration's clone keeps it here.
	r2.prs.Config.AutoLeave = r.prs.Config.AutoLeave
	for id, pr := range r.prs.Progress {
		p := *pr
		p.Inflights = pr.Inflights.Clone()
		r2.prs.Progress[id] = &p
	}
	for id, v := range r.prs.Votes {
		r2.prs.Votes[id] = v
	}
	r2.readStates = append([]ReadState(nil), r.readStates...)
	r2.msgs = append([]pb.Message(nil), r.msgs...)
	ro := *r.readOnly
	ro.pendingReadIndex = map[string]*readIndexStatus{}
	for k, v := range r.readOnly.pendingReadIndex {
		ro.pendingReadIndex[k] = v
	}
	ro.readIndexQueue = append([]string(nil), r.readOnly.readIndexQueue...)
	r2.readOnly = &ro
	r2.pendingReadIndexMessages = append([]pb.Message(nil), r.pendingReadIndexMessages...)
	if r.state == StateLeader {
		r2.tick = r2.tickHeartbeat
	} else {
		r2.tick = r2.tickElection
	}
	rn2 := *h.rn
	rn2.raft = r2
	if h.rn.prevSoftSt != nil {
		ss := *h.rn.prevSoftSt
		rn2.prevSoftSt = &ss
	}
	c = &HarnessNode{
		spec:          h.spec,
		storage:       ms,
		rn:            &rn2,
		pinnedCommit:  h.pinnedCommit,
		applied:       h.applied,
		suppressed:    append([]pb.Message(nil), h.suppressed...),
		held:          append([]pb.Message(nil), h.held...),
		joined:        h.joined,
		pinnedTimeout: h.pinnedTimeout,
	}
	c.rng, c.src = cloneRand(h.rng, h.src)
	return c, nil
}

// SetRole puts the state machine in role with leader lead, without an election
// (the scenario language's initial states; as impl's scenario driver, only the
// state, step and tick functions and lead change).
func (h *HarnessNode) SetRole(role string, lead uint64) error {
	r := h.rn.raft
	switch role {
	case "follower":
		r.state, r.step, r.tick = StateFollower, stepFollower, r.tickElection
	case "pre-candidate":
		r.state, r.step, r.tick = StatePreCandidate, stepCandidate, r.tickElection
	case "candidate":
		r.state, r.step, r.tick = StateCandidate, stepCandidate, r.tickElection
	case "leader":
		r.state, r.step, r.tick = StateLeader, stepLeader, r.tickHeartbeat
	default:
		return fmt.Errorf("unknown role %q", role)
	}
	r.lead = lead
	return nil
}

// ElectionElapsed reads electionElapsed.
func (h *HarnessNode) ElectionElapsed() int { return h.rn.raft.electionElapsed }

// Timeout is the model's timeout action as a tick: the randomized election timeout
// becomes electionElapsed + 1 for one Tick (tickElection then sets electionElapsed = 0
// and steps MsgHup), then the sticky value `never` is pinned again.
func (h *HarnessNode) Timeout(never int) error {
	h.SetRandomizedElectionTimeout(h.rn.raft.electionElapsed+1, false)
	err := h.Tick()
	h.SetRandomizedElectionTimeout(never, true)
	return err
}
