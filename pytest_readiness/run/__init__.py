"""The run: from collected tests to one finished Report.

`plan` turns tests into checklist items (markers, phase order, what the command line
selected); `session` gathers their results and builds the Report; `fixtures` are the public
fixtures checks use; `timing` enforces item timeouts and phase budgets, `retry` re-runs a
check marked `retry=`, `processes` makes sure nothing a check started outlives it; `xdist`
and `phase_barrier` run phases in parallel under `-n` without crossing a phase boundary.
"""
