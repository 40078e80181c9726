// Command raftharness drives etcd's raft library (go.etcd.io/etcd/raft, etcd
// 3.4.23 as packaged by Debian) over a JSON-lines protocol on stdin/stdout.
// It is raftcheck's own code; see specs/HARNESS.md and etcdharness/README.md for the protocol and
// etcdharness/build.sh for the (offline, GOPATH-mode, overlay) build.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"time"

	"go.etcd.io/etcd/raft"
	pb "go.etcd.io/etcd/raft/raftpb"
)

const protocolVersion = 1

type entryJSON struct {
	Term  uint64 `json:"term"`
	Index uint64 `json:"index"`
	Type  int32  `json:"type"`
	Data  []byte `json:"data,omitempty"`
	// Change: a configuration entry's change, decoded (read-only: Data is what is sent).
	Change *raft.HarnessChange `json:"change,omitempty"`
}

type messageJSON struct {
	Type       int32       `json:"type"`
	To         uint64      `json:"to"`
	From       uint64      `json:"from"`
	Term       uint64      `json:"term"`
	LogTerm    uint64      `json:"log_term"`
	Index      uint64      `json:"index"`
	Entries    []entryJSON `json:"entries"`
	Commit     uint64      `json:"commit"`
	Reject     bool        `json:"reject"`
	RejectHint uint64      `json:"reject_hint"`
	Context    []byte      `json:"context,omitempty"`
}

type request struct {
	ID       json.RawMessage     `json:"id,omitempty"`
	Op       string              `json:"op"`
	Handle   int                 `json:"handle"`
	Node     *raft.HarnessSpec   `json:"node,omitempty"`
	Nodes    []raft.HarnessSpec  `json:"nodes,omitempty"`
	Seed     *int64              `json:"seed,omitempty"`
	Bridge   *raft.HarnessBridge `json:"bridge,omitempty"`
	Msg      *messageJSON        `json:"msg,omitempty"`
	To       uint64              `json:"to"`
	N        int                 `json:"n"`
	Value    int                 `json:"value"`
	Data     []byte              `json:"data,omitempty"`
	Requests []json.RawMessage   `json:"requests,omitempty"`
	Message  string              `json:"message,omitempty"`
	Code     int                 `json:"code"`
	// set_role: the role ("follower", "pre-candidate", "candidate", "leader") and leader.
	Role string `json:"role,omitempty"`
	Lead uint64 `json:"lead"`
	// run: a lockstep program (see runProgram).
	Handles  []int         `json:"handles,omitempty"`
	Inflight []messageJSON `json:"inflight,omitempty"`
	Steps    []runStep     `json:"steps,omitempty"`
	Never    int           `json:"never"`
	// campaign: false = RawNode.Campaign (electionElapsed kept); default true.
	ResetElapsed *bool `json:"reset_elapsed,omitempty"`
	// restart: true = persist the pending Ready first (its messages are lost).
	PersistFirst bool `json:"persist_first"`
	// set_randomized_election_timeout: keep the value across resets.
	Sticky bool `json:"sticky"`
	// propose_conf_change: the change.
	Change *raft.HarnessChange `json:"change,omitempty"`
}

type server struct {
	nodes map[int]*raft.HarnessNode
	next  int
}

func toPB(m *messageJSON) pb.Message {
	out := pb.Message{
		Type:       pb.MessageType(m.Type),
		To:         m.To,
		From:       m.From,
		Term:       m.Term,
		LogTerm:    m.LogTerm,
		Index:      m.Index,
		Commit:     m.Commit,
		Reject:     m.Reject,
		RejectHint: m.RejectHint,
		Context:    m.Context,
	}
	if len(m.Entries) > 0 {
		out.Entries = make([]pb.Entry, len(m.Entries))
		for i, e := range m.Entries {
			out.Entries[i] = pb.Entry{Term: e.Term, Index: e.Index, Type: pb.EntryType(e.Type), Data: e.Data}
			// An entry given by its decoded change only (impl's entries carry the change,
			// not its encoding): encode it as the application would have.
			if e.Change != nil && len(e.Data) == 0 {
				if typ, data, err := e.Change.Encode(); err == nil {
					out.Entries[i].Type, out.Entries[i].Data = typ, data
				}
			}
		}
	}
	return out
}

func fromPB(m pb.Message, changes bool) messageJSON {
	out := messageJSON{
		Type:       int32(m.Type),
		To:         m.To,
		From:       m.From,
		Term:       m.Term,
		LogTerm:    m.LogTerm,
		Index:      m.Index,
		Commit:     m.Commit,
		Reject:     m.Reject,
		RejectHint: m.RejectHint,
		Context:    m.Context,
		Entries:    make([]entryJSON, len(m.Entries)),
	}
	for i, e := range m.Entries {
		out.Entries[i] = entryJSON{Term: e.Term, Index: e.Index, Type: int32(e.Type), Data: e.Data}
		if changes {
			out.Entries[i].Change, _ = raft.DecodeChange(e)
		}
	}
	return out
}

func entriesJSON(ents []pb.Entry) []entryJSON {
	out := make([]entryJSON, len(ents))
	for i, e := range ents {
		out[i] = entryJSON{Term: e.Term, Index: e.Index, Type: int32(e.Type), Data: e.Data}
		out[i].Change, _ = raft.DecodeChange(e)
	}
	return out
}

// fromPBs converts messages; changes: decode the configuration entries' changes (off for a
// node whose bridge pins commit: its only configuration entry is the pending_conf
// emulation, which the static abstraction reads as a plain entry of its term).
func fromPBs(ms []pb.Message, changes bool) []messageJSON {
	out := make([]messageJSON, len(ms))
	for i, m := range ms {
		out[i] = fromPB(m, changes)
	}
	return out
}

func (s *server) node(h int) (*raft.HarnessNode, error) {
	n, ok := s.nodes[h]
	if !ok {
		return nil, fmt.Errorf("unknown node handle %d", h)
	}
	return n, nil
}

func (s *server) add(spec raft.HarnessSpec) (int, error) {
	n, err := raft.NewHarnessNode(spec)
	if err != nil {
		return 0, fmt.Errorf("node %d: %v", spec.ID, err)
	}
	s.next++
	s.nodes[s.next] = n
	return s.next, nil
}

var nodeOps = map[string]bool{
	"tick": true, "campaign": true, "beat": true, "propose": true, "transfer_leader": true,
	"step": true, "ready": true, "status": true, "set_randomized_election_timeout": true,
	"set_election_elapsed": true, "restart": true, "set_role": true,
	"propose_conf_change": true, "apply_committed": true,
}

// errQuit ends the loop after the response is written.
var errQuit = errors.New("quit")

func (s *server) handle(req *request) (map[string]interface{}, error) {
	res := map[string]interface{}{}
	switch req.Op {
	case "hello":
		res["protocol"] = protocolVersion
		res["go"] = runtime.Version()
		res["etcd_raft"] = "go.etcd.io/etcd/raft (etcd 3.4.23, Debian golang-etcd-server-dev)"
		// specs/HARNESS.md: what this harness implements beyond the required requests.
		res["name"] = "etcd 3.4.23 raft (raftcheck etcdharness)"
		res["rules"] = []string{"etcd-3.4"}
		res["features"] = []string{"run", "bridge", "set_role", "set_election_elapsed", "conf_change"}
		return res, nil
	case "quit":
		return res, errQuit
	case "crash": // for testing the client: exit without answering
		os.Exit(req.Code)
	case "hang": // for testing the client: never answer
		time.Sleep(time.Duration(1 << 62))
	case "garbage": // for testing the client: answer something that is not JSON
		fmt.Fprintln(os.Stdout, "this is not json")
		return nil, nil
	case "reset":
		s.nodes = map[int]*raft.HarnessNode{}
		return res, nil
	case "create":
		if req.Node == nil {
			return nil, errors.New("create needs \"node\"")
		}
		h, err := s.add(*req.Node)
		if err != nil {
			return nil, err
		}
		res["handle"] = h
		return res, nil
	case "create_cluster":
		handles := []int{}
		for _, spec := range req.Nodes {
			if req.Seed != nil {
				spec.Seed = *req.Seed*1000003 + int64(spec.ID)
			}
			if req.Bridge != nil {
				spec.Bridge = *req.Bridge
			}
			h, err := s.add(spec)
			if err != nil {
				for _, done := range handles {
					delete(s.nodes, done)
				}
				return nil, err
			}
			handles = append(handles, h)
		}
		res["handles"] = handles
		return res, nil
	case "clone":
		n, err := s.node(req.Handle)
		if err != nil {
			return nil, err
		}
		c, err := n.Clone()
		if err != nil {
			return nil, err
		}
		s.next++
		s.nodes[s.next] = c
		res["handle"] = s.next
		return res, nil
	case "run":
		return s.runProgram(req)
	case "destroy":
		if _, err := s.node(req.Handle); err != nil {
			return nil, err
		}
		delete(s.nodes, req.Handle)
		return res, nil
	case "batch":
		// Inside a batch, "handle": -1 names the node made by the last successful
		// create/clone of the same batch.
		out := make([]interface{}, len(req.Requests))
		last := -1
		for i, raw := range req.Requests {
			out[i] = s.one(raw, &last)
		}
		res["responses"] = out
		return res, nil
	}

	if !nodeOps[req.Op] {
		return nil, fmt.Errorf("unknown op %q", req.Op)
	}
	n, err := s.node(req.Handle)
	if err != nil {
		return nil, err
	}
	switch req.Op {
	case "tick":
		count := req.N
		if count <= 0 {
			count = 1
		}
		for i := 0; i < count; i++ {
			if err := n.Tick(); err != nil {
				return nil, err
			}
		}
	case "campaign":
		err = n.Campaign(req.ResetElapsed == nil || *req.ResetElapsed)
	case "beat":
		err = n.Beat()
	case "propose":
		err = n.Propose(req.Data)
		if errors.Is(err, raft.ErrProposalDropped) {
			res["dropped"] = true
			err = nil
		} else if err == nil {
			res["dropped"] = false
		}
	case "propose_conf_change":
		if req.Change == nil {
			return nil, errors.New("propose_conf_change needs \"change\"")
		}
		err = n.ProposeConfChange(*req.Change)
		if errors.Is(err, raft.ErrProposalDropped) {
			res["dropped"] = true
			err = nil
		} else if err == nil {
			res["dropped"] = false
		}
	case "apply_committed":
		ents, aerr := n.ApplyCommitted()
		if aerr != nil {
			return nil, aerr
		}
		res["entries"] = entriesJSON(ents)
	case "transfer_leader":
		err = n.TransferLeader(req.To)
	case "step":
		if req.Msg == nil {
			return nil, errors.New("step needs \"msg\"")
		}
		err = n.Step(toPB(req.Msg))
	case "ready":
		msgs, supp, rerr := n.Ready()
		if rerr != nil {
			return nil, rerr
		}
		res["messages"] = fromPBs(msgs, n.ConfAware())
		res["suppressed"] = fromPBs(supp, n.ConfAware())
	case "status":
		st, serr := n.Status()
		if serr != nil {
			return nil, serr
		}
		res["status"] = st
	case "set_randomized_election_timeout":
		if req.Value <= 0 {
			return nil, errors.New("randomized election timeout must be > 0")
		}
		n.SetRandomizedElectionTimeout(req.Value, req.Sticky)
	case "set_election_elapsed":
		n.SetElectionElapsed(req.Value)
	case "set_role":
		err = n.SetRole(req.Role, req.Lead)
	case "restart":
		if req.PersistFirst {
			if _, _, err = n.Ready(); err != nil {
				return nil, err
			}
		}
		err = n.Restart()
	default:
		return nil, fmt.Errorf("unknown op %q", req.Op)
	}
	if err != nil {
		return nil, err
	}
	return res, nil
}

// one answers one raw request; it never fails (errors become {"error": ...}).
func (s *server) one(raw []byte, last *int) map[string]interface{} {
	var req request
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return map[string]interface{}{"error": fmt.Sprintf("bad request: %v", err)}
	}
	if last != nil && req.Handle == -1 {
		req.Handle = *last
	}
	res, err := s.handle(&req)
	if last != nil && (req.Op == "clone" || req.Op == "create") {
		*last = 0 // a failed create/clone: later "handle": -1 requests fail too
		if h, ok := res["handle"].(int); ok && err == nil {
			*last = h
		}
	}
	if res == nil {
		res = map[string]interface{}{}
	}
	if err != nil && err != errQuit {
		res = map[string]interface{}{"error": err.Error(), "kind": errorKind(err)}
	}
	if len(req.ID) > 0 {
		res["id"] = req.ID
	}
	return res
}

// errorKind classifies an error so that clients can map it to their own exceptions.
func errorKind(err error) string {
	switch {
	case errors.Is(err, raft.ErrStepLocalMsg):
		return "step_local_msg"
	case errors.Is(err, raft.ErrStepPeerNotFound):
		return "step_peer_not_found"
	case errors.Is(err, raft.ErrProposalDropped):
		return "proposal_dropped"
	case raft.IsHarnessPanic(err):
		return "panic"
	case errors.As(err, new(raft.BridgeError)):
		return "bridge"
	}
	return "error"
}

func main() {
	in := bufio.NewReaderSize(os.Stdin, 1<<20)
	out := bufio.NewWriterSize(os.Stdout, 1<<16)
	enc := json.NewEncoder(out)
	s := &server{nodes: map[int]*raft.HarnessNode{}}
	// Test hook: RAFTHARNESS_CRASH_AFTER=N exits with status 3, without answering, on
	// the N+1st request line (the clients' crash handling is tested with it).
	crashAfter, served := -1, 0
	if v := os.Getenv("RAFTHARNESS_CRASH_AFTER"); v != "" {
		if _, err := fmt.Sscan(v, &crashAfter); err != nil {
			crashAfter = -1
		}
	}
	for {
		line, err := in.ReadBytes('\n')
		if len(line) > 0 && !(len(line) == 1 && line[0] == '\n') {
			if crashAfter >= 0 && served >= crashAfter {
				fmt.Fprintln(os.Stderr, "raftharness: RAFTHARNESS_CRASH_AFTER reached")
				os.Exit(3)
			}
			served++
			var peek struct {
				Op string `json:"op"`
			}
			_ = json.Unmarshal(line, &peek)
			res := s.one(line, nil)
			if res != nil && !(peek.Op == "garbage") {
				if eerr := enc.Encode(res); eerr != nil {
					fmt.Fprintf(os.Stderr, "raftharness: cannot encode response: %v\n", eerr)
					os.Exit(3)
				}
			}
			if ferr := out.Flush(); ferr != nil {
				os.Exit(0) // stdout closed: the client went away
			}
			if peek.Op == "quit" {
				return
			}
		}
		if err == io.EOF {
			return
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "raftharness: reading stdin: %v\n", err)
			os.Exit(2)
		}
	}
}

// runStep is one action of a "run" program: Do is tick, timeout, beat, restart,
// transfer_leader (To), propose, propose_conf (Change), apply (apply_committed), or deliver / duplicate / drop of the in-flight message
// matching Msg; Node indexes the request's Handles (node id - 1).
type runStep struct {
	Node   int                 `json:"node"`
	Do     string              `json:"do"`
	To     uint64              `json:"to"`
	Msg    *messageJSON        `json:"msg,omitempty"`
	Change *raft.HarnessChange `json:"change,omitempty"`
}

// sameAbstraction: the fields the model abstraction reads (conformance/abstraction.py
// abstract_message: type, from, to, term, log_term, index, reject, context, commit, and
// each entry's term and, for a configuration entry of a conf-aware node, its change; a
// static node's --pending-conf entry is a term like any other). With
// membership changes two MsgApps may differ in their commit or entries' changes only.
func sameAbstraction(a, b *messageJSON) bool {
	if a.Type != b.Type || a.From != b.From || a.To != b.To || a.Term != b.Term ||
		a.LogTerm != b.LogTerm || a.Index != b.Index || a.Reject != b.Reject ||
		a.Commit != b.Commit || !bytes.Equal(a.Context, b.Context) ||
		len(a.Entries) != len(b.Entries) {
		return false
	}
	for i := range a.Entries {
		x, y := &a.Entries[i], &b.Entries[i]
		if x.Term != y.Term || !sameChange(x.Change, y.Change) {
			return false
		}
	}
	return true
}

// sameChange compares decoded configuration changes (a client names a conf entry by its
// change and sends no data; an entry etcd sent carries both).
func sameChange(a, b *raft.HarnessChange) bool {
	if a == nil || b == nil {
		return a == b
	}
	if a.V2 != b.V2 || a.Transition != b.Transition || len(a.Ops) != len(b.Ops) {
		return false
	}
	for i := range a.Ops {
		if a.Ops[i] != b.Ops[i] {
			return false
		}
	}
	return true
}

// runProgram runs a sequence of lockstep actions on the nodes Handles, keeping the
// in-flight messages (starting from Inflight) as the Python side does: each action's
// Ready messages are appended, delivered and dropped ones removed (the first match, in
// order). It answers one result per action (matched message, messages, suppressed,
// status of the acting node, or error) and stops after the first error or missing
// message (ErrStepPeerNotFound on a delivery is no error: the message is lost). The client checks every result exactly as it checks single requests; this
// only saves round trips.
func (s *server) runProgram(req *request) (map[string]interface{}, error) {
	nodes := make([]*raft.HarnessNode, len(req.Handles))
	for i, h := range req.Handles {
		n, err := s.node(h)
		if err != nil {
			return nil, err
		}
		nodes[i] = n
	}
	inflight := append([]messageJSON(nil), req.Inflight...)
	results := []interface{}{}
	for _, st := range req.Steps {
		res := map[string]interface{}{}
		results = append(results, res)
		if st.Node < 0 || st.Node >= len(nodes) {
			res["error"], res["kind"] = fmt.Sprintf("no node %d", st.Node+1), "error"
			break
		}
		n := nodes[st.Node]
		var err error
		switch st.Do {
		case "deliver", "duplicate", "drop":
			k := -1
			for i := range inflight {
				if st.Msg != nil && sameAbstraction(&inflight[i], st.Msg) {
					k = i
					break
				}
			}
			if k < 0 {
				res["error"], res["kind"] = "no in-flight message matches", "missing"
				return map[string]interface{}{"results": results}, nil
			}
			m := inflight[k]
			res["index"] = k
			if st.Do != "drop" {
				res["msg"] = m
			}
			if st.Do != "duplicate" {
				inflight = append(inflight[:k:k], inflight[k+1:]...)
			}
			if st.Do == "drop" {
				continue
			}
			err = n.Step(toPB(&m))
			if errors.Is(err, raft.ErrStepPeerNotFound) {
				// A response from an id outside the node's configuration (a removed
				// one): the application drops it, as the client does after a single
				// "step" request; the program goes on.
				res["peer_not_found"] = true
				err = nil
			}
		case "tick":
			err = n.Tick()
		case "timeout":
			err = n.Timeout(req.Never)
		case "beat":
			err = n.Beat()
		case "restart":
			if _, _, err = n.Ready(); err == nil {
				err = n.Restart()
			}
		case "transfer_leader":
			err = n.TransferLeader(st.To)
		case "propose":
			err = n.Propose(nil)
			if errors.Is(err, raft.ErrProposalDropped) {
				res["dropped"] = true
				err = nil
			}
		case "propose_conf":
			if st.Change == nil {
				err = errors.New("propose_conf needs \"change\"")
				break
			}
			err = n.ProposeConfChange(*st.Change)
			if errors.Is(err, raft.ErrProposalDropped) {
				res["dropped"] = true
				err = nil
			}
		case "apply":
			_, err = n.ApplyCommitted()
		default:
			err = fmt.Errorf("unknown run action %q", st.Do)
		}
		if err != nil {
			res["error"], res["kind"] = err.Error(), errorKind(err)
			break
		}
		msgs, supp, rerr := n.Ready()
		if rerr != nil {
			res["error"], res["kind"] = rerr.Error(), errorKind(rerr)
			break
		}
		out := fromPBs(msgs, n.ConfAware())
		inflight = append(inflight, out...)
		res["messages"] = out
		res["suppressed"] = fromPBs(supp, n.ConfAware())
		status, serr := n.Status()
		if serr != nil {
			res["error"], res["kind"] = serr.Error(), errorKind(serr)
			break
		}
		res["status"] = status
		if res["dropped"] == true {
			break
		}
	}
	return map[string]interface{}{"results": results}, nil
}
