"""Charts of the traces each command produces: explore violations, liveness lassos,
conformance divergences."""

from __future__ import annotations

from typing import Any

from raftcheck.chart.model import Chart, build_chart

_MARKS = {
    "stable": "a stable leader with healthy links to a quorum",
    "settled": "a settled leader: followed by every voter it reaches, none of them at a higher "
               "term, no campaign message in flight",
    "deposed": "that leader is deposed (or a higher-term leader elected)",
    "stuck": "from here no fault-free continuation reaches a stable leader",
}


def violation_chart(model: Any, violation: Any) -> Chart:
    """An explorer `Violation` (the shortest trace to a broken safety invariant)."""
    inv = next((i for i in model.invariants() if i.name == violation.invariant), None)
    title = f"{violation.invariant}: {inv.statement}" if inv else violation.invariant
    notes = [] if violation.steps else [f"the initial state already breaks {violation.invariant}"]
    return build_chart(model, violation.init, violation.steps, title=title, kind="safety",
                       invariant=violation.invariant, chart_notes=notes)


def lasso_chart(model: Any, g: Any, lasso: Any) -> Chart:
    """A liveness lasso, with real terms: the prefix, then the cycle that repeats forever."""
    from model.liveness import term_shift
    from raftcheck.render_liveness import concrete

    init, prefix, cycle = concrete(model, g, lasso)
    prop = next(p for p in model.liveness_properties() if p.name == lasso.prop)
    notes: dict[int, list[str]] = {}
    for name, k in lasso.marks.items():
        if k > 0:
            notes.setdefault(k, []).append(_MARKS.get(name, name))
    chart_notes = []
    if lasso.marks.get("stuck") == 0:
        chart_notes.append("the initial state is already stuck")
    cycle_note = ""
    if cycle:
        start = prefix[-1][1] if prefix else init
        shift = term_shift(model, start, cycle[-1][1])
        more = f", with every term {shift:+d}" if shift else ""
        cycle_note = f"back to step {len(prefix)}{more}: the cycle repeats forever"
    elif lasso.note:
        chart_notes.append(lasso.note)
    return build_chart(
        model, init, prefix + cycle, title=f"{prop.name}: {prop.statement}", kind="liveness",
        invariant=prop.name, cycle_start=len(prefix) + 1 if cycle else None,
        cycle_note=cycle_note, notes=notes, chart_notes=chart_notes,
    )


def _divergence_title(step: int | None) -> str:
    if step is None:
        return "impl and model agree on every step (the model's side is drawn)"
    if step == 0:
        return "impl and model differ in the initial state (the model's side is drawn)"
    return f"impl and model diverge at step {step} (the model's side is drawn)"


def lockstep_chart(run: Any) -> Chart:
    """A conformance run (conformance.engine.Lockstep), drawn on the model's side; the step
    where impl and model disagree carries the problems."""
    notes: dict[int, list[str]] = {}
    for k, s in enumerate(run.steps, 1):
        if s.problems:
            notes[k] = ["DIVERGENCE: " + p for p in s.problems]
    chart_notes = ["DIVERGENCE in the initial state: " + p for p in run.init_problems]
    first = 0 if run.init_problems else min(notes, default=None)
    init = run.steps[0].before if run.steps else run.state
    return build_chart(run.model, init, run.steps, title=_divergence_title(first),
                       kind="divergence", notes=notes, chart_notes=chart_notes, alerts=list(notes))


def divergence_chart(divergence: dict[str, Any]) -> Chart:
    """The chart of a conformance divergence in its JSON form (conformance/trace.py), replayed
    on the model only: the trace records the actions and where impl and model parted."""
    from conformance.modelstep import model_step
    from conformance.trace import parse_trace
    from model.cluster import ClusterModel

    trace = parse_trace(divergence)
    model = ClusterModel(trace.cfg)
    st = model.init_states()[0]
    init = st
    steps: list[tuple[Any, Any]] = []
    for a in trace.actions:
        nxt = model_step(model, st, a)
        if nxt is None:
            if a[0] != "tick":
                continue  # the lockstep skips what the model does not enable
            nxt = st
        steps.append((a, nxt))
        st = nxt
    div = divergence.get("divergence") or {}
    notes: dict[int, list[str]] = {}
    chart_notes: list[str] = []
    problems = ["DIVERGENCE: " + p for p in div.get("problems", [])]
    step = div.get("step")
    if step == 0:
        chart_notes += problems
    elif step:
        notes[int(step)] = problems
    return build_chart(model, init, steps, title=_divergence_title(step), kind="divergence",
                       notes=notes, chart_notes=chart_notes, alerts=list(notes))
