"""Audit reports as text, JSON and Markdown (with Mermaid sequence diagrams)."""

from __future__ import annotations

import json
from typing import Any

from audit.configs import DIFF_NODES, symmetry_applies
from audit.runner import AuditReport, KillRow, Trace

# -- text ------------------------------------------------------------------------------------


def _fmt_s(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


def trace_text(tr: Trace, indent: str = "  ") -> list[str]:
    lines = [f"{indent}{tr.title} ({len(tr)} steps)", f"{indent}  0: initial state"]
    lines += [f"{indent}       {x}" for x in tr.initial]
    for k, st in enumerate(tr.steps, 1):
        if k == tr.cycle_start:
            lines.append(f"{indent}  <<< start of cycle >>>")
        lines.append(f"{indent}{k:>3}: {st.text}")
        lines += [f"{indent}       {x}" for x in (st.changes or ["(no change)"])]
    if tr.cycle_start is not None:
        lines.append(f"{indent}  <<< back to step {tr.cycle_start - 1} (terms shifted): the "
                     "cycle repeats forever >>>")
    return lines


def report_text(rep: AuditReport) -> list[str]:
    s = rep.subject
    lines = [
        f"audit {s.name} against {s.baseline.name}"
        + (f" ({s.source})" if s.source != "catalogue" else ""),
    ]
    if s.description:
        lines.append(f"  {s.description}")
    if s.citation:
        lines.append(f"  cites: {s.citation}")
    lines.append(f"  changed rules: {', '.join(s.changed) or '(none)'}")
    lines.append("")
    if rep.obligations:
        lines.append("obligations:")
        for o in rep.obligations:
            extra = " (reused: reads no changed rule)" if o.reused else ""
            if o.advisory:
                extra += " (advisory: breaks no safety invariant; the runs decide)"
            lines.append(f"  {o.name:<28} {o.status:<8} {o.seconds:6.2f}s{extra}")
        lines.append("")
    off = [e for e in rep.explorations if not symmetry_applies(e.config.cfg)]
    lines.append("explorations (symmetry on"
                 + (", off where links keep nodes apart" if off else "")
                 + "; bounds per configuration):")
    for e in rep.explorations:
        bad = [k for k, v in e.invariants.items() if v == "violated"]
        state = "complete" if e.complete else f"incomplete ({e.stop_reason})"
        if e.shared:
            state = "the baseline's run (shared: the changed rules answer alike on its inputs)"
        lines.append(
            f"  [{e.config.label}] {e.distinct_states:,} states {e.seconds:.2f}s {state}; "
            + (f"BROKEN: {', '.join(bad)}" if bad else "all invariants hold")
        )
        lines.append(f"      {e.config.bounds_text()}")
        if e.config.reaches:
            lines.append(f"      built to reach: {e.config.reaches}")
        if e.vacuous:
            lines.append(f"      VACUOUS: {e.vacuous}")
        if e.rule_calls and not e.shared:
            lines.append(
                f"      changed rules: {e.rule_calls:,} calls, {e.divergent_calls:,} with a "
                f"result other than the baseline's"
                + (f" (first: {e.first_divergence})" if e.first_divergence else "")
            )
            distinct = sum(len(v) for v in e.divergent_inputs.values())
            if distinct:
                lines.append(f"      differing inputs ({distinct} distinct shown in --json)")
    lines.append("")
    if rep.diffs:
        lines.append(
            f"behaviour diff against {s.baseline.name} (abstract states, history ignored):"
        )
        for d in rep.diffs:
            g = d.diff
            if d.inert:
                lines.append(f"  [{d.config.label}] identical: the changed rules returned the "
                             "baseline's result on every call of this configuration's run")
                continue
            if g.changed and not g.complete:
                side = "variant" if g.only_variant_transitions else "baseline"
                text = (f"differs: after {g.variant_states:,} shared states, a transition "
                        f"only under the {side} (the diff stops at the first difference)")
            elif g.changed:
                text = (f"states {g.variant_states:,} vs {g.baseline_states:,}: "
                        f"{g.only_variant_states} only in variant, {g.only_baseline_states} "
                        f"only in baseline; transitions {g.only_variant_transitions} / "
                        f"{g.only_baseline_transitions} one-sided")
            else:
                text = (f"identical: {g.variant_states:,} states on both sides"
                        + ("" if g.complete else " so far (incomplete: time limit)"))
            lines.append(
                f"  [{d.config.label}] {text}"
                + (f" [built to reach {d.config.reaches.split(' = ')[0]}]"
                   if d.config.reaches else
                   " [diffed because a changed rule diverged here]" if d.directed else "")
            )
        lines.append("")
    if rep.liveness:
        lines.append("liveness (partitions; a property counts as broken only where "
                     f"{s.baseline.name} holds it):")
        for lo in rep.liveness:
            bad = lo.broken
            lines.append(
                f"  [{lo.config.label}] {lo.distinct_states:,} states {lo.seconds:.2f}s"
                + ("" if lo.complete else " incomplete")
                + (" (the baseline's run, shared)" if lo.shared else "") + "; "
                + (f"BROKEN: {', '.join(bad)}" if bad else "no property broken by the change")
            )
            lines.append("      " + " ".join(f"{p}={v}" for p, v in lo.verdicts.items()))
        lines.append("")
    for e, _inv, tr in rep.broken():
        lines.append(f"counterexample [{e.config.label}]:")
        lines += trace_text(tr)
        lines.append("")
    for lo, _prop, ltr in rep.broken_liveness():
        if ltr is not None:
            lines.append(f"liveness counterexample [{lo.config.label}]:")
            lines += trace_text(ltr)
            lines.append("")
    for d in rep.changed_diffs()[:2]:
        for _side, tr in d.witnesses:
            lines.append(f"diff witness [{d.config.label}]:")
            lines += trace_text(tr)
            lines.append("")
    for note in rep.notes:
        lines.append(f"note: {note}")
    lines.append(f"verdict: {rep.verdict}" + (f" (caught by {rep.caught_by})" if rep.caught_by
                                              else ""))
    if rep.why_no_change:
        lines.append(f"  why: {rep.why_no_change}")
    lines.append(f"time: {rep.seconds:.2f}s")
    return lines


# -- JSON ------------------------------------------------------------------------------------


def _trace_json(tr: Trace) -> dict[str, Any]:
    return {
        "title": tr.title,
        "length": len(tr),
        "cycle_start": tr.cycle_start,
        "initial_state": tr.initial,
        "steps": [{"step": k, "action": st.text, "changes": st.changes}
                  for k, st in enumerate(tr.steps, 1)],
        "final_state": tr.final,
    }


def report_json(rep: AuditReport) -> dict[str, Any]:
    s = rep.subject
    return {
        "name": s.name,
        "baseline": s.baseline.name,
        "source": s.source,
        "changed_rules": list(s.changed),
        "description": s.description,
        "citation": s.citation,
        "verdict": rep.verdict,
        "caught_by": rep.caught_by,
        "seconds_to_first_counterexample": rep.seconds_to_first_counterexample,
        "counterexample_length": rep.counterexample_length,
        "why": rep.why_no_change,
        "exit_code": rep.exit_code,
        "nodes": list(rep.nodes),
        "mode": rep.mode,
        "seconds": round(rep.seconds, 3),
        "obligations": [
            {"name": o.name, "status": o.status, "seconds": round(o.seconds, 4),
             "reused": o.reused, "baseline_status": o.baseline_status,
             "advisory": o.advisory, "counterexample": o.counterexample}
            for o in rep.obligations
        ],
        "explorations": [
            {"config": e.config.label, "bounds": e.config.bounds_text(),
             "extra": e.config.extra, "purpose": e.config.purpose,
             "complete": e.complete, "stop_reason": e.stop_reason,
             "changed_rule_calls": e.rule_calls, "divergent_calls": e.divergent_calls,
             "first_divergence": e.first_divergence, "vacuous": e.vacuous,
             "divergent_inputs": e.divergent_inputs, "shared": e.shared,
             "reaches": e.config.reaches or None,
             "distinct_states": e.distinct_states, "seconds": round(e.seconds, 3),
             "invariants": e.invariants,
             "counterexamples": [dict(_trace_json(t), invariant=inv)
                                 for inv, t in e.counterexamples]}
            for e in rep.explorations
        ],
        "diff": [
            {"config": d.config.label, "bounds": d.config.bounds_text(),
             "complete": d.diff.complete, "inert": d.inert, "directed": d.directed,
             "reaches": d.config.reaches or None,
             "stopped_at_first_difference": d.diff.changed and not d.diff.complete,
             "variant_states": d.diff.variant_states,
             "baseline_states": d.diff.baseline_states,
             "only_variant_states": d.diff.only_variant_states,
             "only_baseline_states": d.diff.only_baseline_states,
             "only_variant_transitions": d.diff.only_variant_transitions,
             "only_baseline_transitions": d.diff.only_baseline_transitions,
             "seconds": round(d.diff.seconds, 3),
             "witnesses": [dict(_trace_json(t), side=side) for side, t in d.witnesses]}
            for d in rep.diffs
        ],
        "liveness": [
            {"config": lo.config.label, "bounds": lo.config.bounds_text(),
             "purpose": lo.config.purpose, "complete": lo.complete,
             "distinct_states": lo.distinct_states, "seconds": round(lo.seconds, 3),
             "properties": lo.verdicts, "baseline_properties": lo.baseline,
             "broken": lo.broken, "changed_rule_calls": lo.rule_calls,
             "divergent_calls": lo.divergent_calls, "divergent_inputs": lo.divergent_inputs,
             "shared": lo.shared,
             "counterexamples": [dict(_trace_json(t), invariant=p, kind="liveness")
                                 for p, t in lo.lassos]}
            for lo in rep.liveness
        ],
        "notes": rep.notes,
        "differing_inputs": rep.differing_inputs(),
        "unreached_inputs": rep.unreached_inputs,
    }


def kill_json(rows: list[KillRow], seconds: float | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"variants": [r.as_dict() for r in rows]}
    if seconds is not None:
        out["seconds"] = round(seconds, 3)
    return out


def kill_table(rows: list[KillRow]) -> list[str]:
    head = ("variant", "verdict", "caught by", "s to 1st cex", "cex len")
    body = [
        (r.name, r.verdict, r.caught_by or "-", _fmt_s(r.seconds_to_first_counterexample),
         "-" if r.counterexample_length is None else str(r.counterexample_length))
        for r in rows
    ]
    widths = [max(len(x[i]) for x in [head, *body]) for i in range(5)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(head, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for x in body:
        lines.append("  ".join(c.ljust(w) for c, w in zip(x, widths, strict=True)).rstrip())
    whys = [r for r in rows if r.why]
    if whys:
        lines.append("")
        lines.append("no observable change:")
        for r in whys:
            lines.append(f"  {r.name}: {r.why}")
    return lines


# -- Markdown and Mermaid ----------------------------------------------------------------------


def mermaid(tr: Trace) -> list[str]:
    """A Mermaid sequence diagram of a trace (raftcheck/chart/mermaid.py): messages as arrows
    at the step that delivered, dropped or lost them, local actions and state changes as
    notes, the broken invariant in red, a lasso's cycle as a loop."""
    from raftcheck.chart.mermaid import mermaid_lines, mermaid_text

    if tr.chart is not None:
        return mermaid_lines(tr.chart)
    # A trace made without its states (none in this code base): its steps as notes.
    lines = ["```mermaid", "sequenceDiagram"]
    lines += [f"    participant N{i}" for i in range(1, tr.n + 1)]
    span = f"N1,N{tr.n}" if tr.n > 1 else "N1"
    lines += [f"    Note over {span}: {mermaid_text(f'{k}. {st.text}')}"
              for k, st in enumerate(tr.steps, 1)]
    return lines + ["```"]


def check_rows(rep: AuditReport) -> list[tuple[str, str, str, str]]:
    """The report's table: (check, configuration, result, seconds); results in Markdown."""
    rows = []
    for o in rep.obligations:
        res = o.status + (" (reused)" if o.reused else "") + (" (advisory)" if o.advisory else "")
        rows.append((f"obligation `{o.name}`", "Z3, up to 9 voters", res, f"{o.seconds:.2f}"))
    for e in rep.explorations:
        bad = [k for k, v in e.invariants.items() if v == "violated"]
        res = ("**broken: " + ", ".join(bad) + "**") if bad else "all invariants hold"
        if not e.complete and not bad:
            res += f" (incomplete: {e.stop_reason})"
        rows.append(("explore", f"{e.config.label}: `{e.config.bounds_text()}` "
                     f"({e.distinct_states:,} states)", res, f"{e.seconds:.2f}"))
    for d in rep.diffs:
        g = d.diff
        res = (f"{g.only_variant_states} states / {g.only_variant_transitions} transitions "
               f"only in variant; {g.only_baseline_states} / {g.only_baseline_transitions} "
               f"only in baseline" if g.changed else "identical")
        if g.changed and not g.complete:
            res = "differs (stopped at the first difference, witness below)"
        if d.inert:
            res = "identical (the changed rules never returned another result)"
        rows.append(("behaviour diff", d.config.label, res, f"{g.seconds:.2f}"))
    for lo in rep.liveness:
        res = ("**broken: " + ", ".join(lo.broken) + "**") if lo.broken \
            else "no property broken by the change"
        if not lo.complete:
            res += " (incomplete)"
        rows.append(("liveness", f"{lo.config.label} ({lo.distinct_states:,} states)", res,
                     f"{lo.seconds:.2f}"))
    return rows


def _numbered(tr: Trace) -> list[str]:
    lines = []
    for k, st in enumerate(tr.steps, 1):
        if k == tr.cycle_start:
            lines += ["", "**↻ start of cycle** (it repeats forever)", ""]
        detail = "; ".join(st.changes) if st.changes else "no change"
        lines.append(f"{k}. `{st.text}` — {detail}")
    return lines


def report_markdown(rep: AuditReport) -> str:
    s = rep.subject
    out = [f"## raftcheck audit: `{s.name}` against `{s.baseline.name}`", ""]
    if s.description:
        out.append(f"{s.description}." if not s.description.endswith(".") else s.description)
        out.append("")
    if s.citation:
        out.append(f"Reference: {s.citation}")
        out.append("")
    out.append(f"Changed rules: {', '.join(f'`{r}`' for r in s.changed) or '(none)'}")
    out.append("")
    out.append(f"**Verdict: {rep.verdict}**"
               + (f" — caught by {rep.caught_by}" if rep.caught_by else ""))
    if rep.why_no_change:
        out.append("")
        out.append(f"Why: {rep.why_no_change}")
    out += ["", "| check | configuration | result | seconds |", "|---|---|---|---|"]
    out += [f"| {c} | {cfg} | {res} | {secs} |" for c, cfg, res, secs in check_rows(rep)]
    out.append("")
    extras = [e.config for e in rep.explorations if e.config.extra]
    if extras:
        out.append("Extra configurations run for the changed rules:")
        for c in extras:
            out.append(f"- {c.label}: {c.purpose}")
        out.append("")
    n = 0
    for e, inv, tr in rep.broken():
        n += 1
        out += [f"### Counterexample {n}: {inv} ({e.config.label}, {len(tr)} steps)", "",
                tr.title, ""]
        out += _numbered(tr)
        out.append("")
        out += mermaid(tr)
        out.append("")
    for lo, prop, ltr in rep.broken_liveness():
        if ltr is None:
            continue
        n += 1
        out += [f"### Counterexample {n}: {prop} ({lo.config.label}, a lasso of {len(ltr)} "
                "steps)", "", ltr.title, ""]
        out += _numbered(ltr)
        out.append("")
        out += mermaid(ltr)
        out.append("")
    for o in rep.failed_obligations() + rep.advisory_failures():
        note = " (advisory: breaks no safety invariant)" if o.advisory else ""
        out += [f"### Obligation `{o.name}` failed{note}", "", "```json"]
        out.append(json.dumps(o.counterexample, indent=2, default=str))
        out += ["```", ""]
    if rep.diffs:
        out += ["### Behaviour diff", ""]
        out.append(
            f"Reachable abstract states (node tuples + in-flight messages, history ignored) "
            f"and transitions on one side only, in the {DIFF_NODES}-voter and extra "
            "configurations."
        )
        out.append("")
        for d in rep.changed_diffs():
            for _side, tr in d.witnesses:
                out += [f"#### {d.config.label}: {tr.title} ({len(tr)} steps)", ""]
                out += _numbered(tr)
                out.append("")
                out += mermaid(tr)
                out.append("")
        if not rep.changed_diffs():
            out += ["No state or transition differs from the baseline.", ""]
    for note in rep.notes:
        out.append(f"> note: {note}")
    out.append("")
    out.append(f"_raftcheck audit, {rep.seconds:.1f} s; exit code {rep.exit_code}._")
    return "\n".join(out) + "\n"


def kill_markdown(rows: list[KillRow], seconds: float) -> str:
    out = ["## raftcheck audit --all", "",
           "| variant | verdict | caught by | s to first counterexample | length |",
           "|---|---|---|---|---|"]
    for r in rows:
        out.append(
            f"| `{r.name}` | {r.verdict} | {r.caught_by or '-'} | "
            f"{_fmt_s(r.seconds_to_first_counterexample)} | "
            f"{'-' if r.counterexample_length is None else r.counterexample_length} |"
        )
    whys = [r for r in rows if r.why]
    if whys:
        out += ["", "No observable change:"]
        out += [f"- `{r.name}`: {r.why}" for r in whys]
    out += ["", f"_Total {seconds:.1f} s._"]
    return "\n".join(out) + "\n"
