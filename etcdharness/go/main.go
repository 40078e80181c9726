// Command raftharness drives etcd's raft library (go.etcd.io/etcd/raft, etcd
// 3.4.23 as packaged by Debian) over a JSON-lines protocol on stdin/stdout.
// It is raftcheck's own code; see etcdharness/PROTOCOL.md for the protocol and
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
	// campaign: false = RawNode.Campaign (electionElapsed kept); default true.
	ResetElapsed *bool `json:"reset_elapsed,omitempty"`
	// restart: true = persist the pending Ready first (its messages are lost).
	PersistFirst bool `json:"persist_first"`
	// set_randomized_election_timeout: keep the value across resets.
	Sticky bool `json:"sticky"`
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
		}
	}
	return out
}

func fromPB(m pb.Message) messageJSON {
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
	}
	return out
}

func fromPBs(ms []pb.Message) []messageJSON {
	out := make([]messageJSON, len(ms))
	for i, m := range ms {
		out[i] = fromPB(m)
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
	"set_election_elapsed": true, "restart": true,
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
		return res, nil
	case "quit":
		return res, errQuit
	case "crash": // for testing the client: exit without answering
		os.Exit(req.Code)
	case "hang": // for testing the client: never answer
		time.Sleep(time.Duration(1<<62))
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
	case "destroy":
		if _, err := s.node(req.Handle); err != nil {
			return nil, err
		}
		delete(s.nodes, req.Handle)
		return res, nil
	case "batch":
		out := make([]interface{}, len(req.Requests))
		for i, raw := range req.Requests {
			out[i] = s.one(raw)
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
		res["messages"] = fromPBs(msgs)
		res["suppressed"] = fromPBs(supp)
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
func (s *server) one(raw []byte) map[string]interface{} {
	var req request
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return map[string]interface{}{"error": fmt.Sprintf("bad request: %v", err)}
	}
	res, err := s.handle(&req)
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
	for {
		line, err := in.ReadBytes('\n')
		if len(line) > 0 && !(len(line) == 1 && line[0] == '\n') {
			var peek struct {
				Op string `json:"op"`
			}
			_ = json.Unmarshal(line, &peek)
			res := s.one(line)
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
