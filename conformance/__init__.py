"""Conformance of the impl/ port to the model/ of etcd's election rules.

The only package that imports both model/ and impl/; they meet through one abstraction
function, `conformance.abstraction.abstract(cluster, model)`.

- `conformance.nodes`: the node-factory seam: `PythonBackend` (impl's RawNode, the default)
  or `EtcdBackend` (etcd 3.4.23's raft library through etcdharness; `--impl etcd`).
- `conformance.abstraction`: `ImplCluster` (RawNodes + in-flight impl messages + budgets,
  driven by model actions) and the abstraction function (`abstract`, `abstract_node`,
  `abstract_message`; `concrete_message` is its inverse on messages).
- `conformance.modelstep`: `model_step(model, st, action)`, one model transition (the same as
  `ClusterModel.successors`, cross-checked in the tests).
- `conformance.engine`: `Lockstep(cfg)`, both sides advanced together and compared per step.
- `conformance.lockstep`: the Hypothesis `LockstepMachine` (rules tick, timeout, heartbeat,
  deliver, drop, duplicate, restart, transfer, append) and the fast byte-program driver.
- `conformance.run`: `run_lockstep(nodes, examples, seed, rules) -> Report`, `short_pass(seed)`,
  `minimize` (trace shrinking).
- `conformance.trace`: replayable JSON traces (`write_trace`, `load_trace`, `replay`).
- `conformance.differential`: `run_differential(cfg)`, the exhaustive mode.
"""
