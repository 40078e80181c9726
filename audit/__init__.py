"""Audit a change to the election rules: obligations, exhaustive runs, behaviour diff.

- `audit.runner`: `audit_rules(subject, nodes, ...)` -> `AuditReport` (verdict, caught_by,
  counterexamples, diff); `audit_catalogue(...)` -> kill-table rows for `model.variants`.
- `audit.configs`: the stated audit bounds and the extra configurations per changed rule.
- `audit.diff`: abstract reachable graphs and their one-sided states and transitions; the
  lockstep diff that stops at the first difference.
- `audit.probe`: each rule's bounded input domain and where a changed rule differs on it.
- `audit.directed`: configurations built to reach a differing input no run reached.
- `audit.shared`: baseline runs recorded once and shared between audits.
- `audit.render`: text, JSON and Markdown (Mermaid) reports.

`raftcheck audit` (raftcheck/cmd_audit.py) is the command line; docs/AUDIT.md the workflow.
"""

from audit.runner import (
    AuditReport,
    KillRow,
    Subject,
    audit_catalogue,
    audit_rules,
    subject_from_rule_set,
    subject_from_variant,
)

__all__ = [
    "AuditReport",
    "KillRow",
    "Subject",
    "audit_catalogue",
    "audit_rules",
    "subject_from_rule_set",
    "subject_from_variant",
]
