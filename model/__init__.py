"""raftcheck's reference model of etcd's leader-election rules.

- `model.rules`: the rules as small pure functions, bundled in a `RuleSet` (`SEED`, `ETCD_34`,
  `RULE_SETS`, `RuleSet.with_rules(name, **overrides)` for a rule change, `RULE_NAMES`).
- `model.node`: `NodeLogic(cfg, rules)`, the node-local transitions (step, tick, timeout, ...).
- `model.cluster`: `ClusterModel(cfg, rules=None)`, the whole-cluster transition system that
  the explorer checks (init_states, successors, canonical, violations, invariants).
- `model.config`: `ClusterConfig`, every bound and switch; `ConfigError` for bad input.

States are flat int tuples of interned parts; decode them with `ClusterModel.nodes(st)`,
`.messages(st)`, `.history(st)`, `.budgets(st)` and build them with `.encode(...)`.
Node tuples are laid out in `model.node_state`, messages in `model.messages`. Actions are tuples:
("tick", id), ("timeout", id), ("heartbeat", id), ("deliver", msg), ("drop", msg),
("duplicate", msg), ("restart", id), ("transfer", id, to), ("append", id).
specs/SEMANTICS.md is the prose definition of all of it.

model/ never imports impl/ (and impl/ never imports model/): they are independent versions of
the same rules, compared only in conformance/.
"""
