"""The state of one readiness run: the plan, the results as they arrive, and the final Report."""

from __future__ import annotations

import functools
import gc
import math
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_readiness.config import Environment, ReadinessConfig
from pytest_readiness.model import (
    PENDING_PREFIX,
    POST_STAGE,
    SEVERITIES,
    STAGES,
    Category,
    Evidence,
    Finding,
    Item,
    Outcome,
    Report,
    item_trigger,
)
from pytest_readiness.probes import git as commits
from pytest_readiness.redact import Redactor
from pytest_readiness.run.retry import Retry
from pytest_readiness.runbook import binding, check_records
from pytest_readiness.runbook import phases as run_phases

if TYPE_CHECKING:
    from pytest_readiness.probes.database import ReadOnlyDatabase

MARKER_OPTIONS = frozenset({"blocking", "timeout", "retry", "stage", "severity"})
# The runbook's trigger for a failed blocking feature item in the post stage.
FEATURE_TRIGGER = "Critical feature broken"
TRIGGER_EVIDENCE = "trigger"
#: From this many planned items on, the heap left at exit is frozen (`release`).
FREEZE_AFTER_ITEMS = 1000


@dataclass(frozen=True)
class CheckSpec:
    """What the category marker of one test says about its checklist item."""

    nodeid: str
    title: str
    category: str
    phase: int
    blocking: bool = True
    timeout: float | None = None
    retry: Retry | None = None
    stage: str = "pre"
    severity: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "nodeid": self.nodeid,
            "title": self.title,
            "category": self.category,
            "phase": self.phase,
            "blocking": self.blocking,
            "timeout": self.timeout,
            "retry": self.retry.to_dict() if self.retry else None,
            "stage": self.stage,
            "severity": self.severity,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> CheckSpec:
        return cls(
            nodeid=str(raw["nodeid"]),
            title=str(raw["title"]),
            category=str(raw["category"]),
            phase=int(raw["phase"]),
            blocking=bool(raw["blocking"]),
            timeout=raw.get("timeout"),
            retry=Retry.from_dict(raw["retry"]) if raw.get("retry") else None,
            stage=str(raw.get("stage", "pre")),
            severity=raw.get("severity"),
        )


@dataclass(slots=True)
class ItemRecord:
    """The result of one item as its setup/call/teardown reports arrive."""

    outcome: Outcome | None = None
    reason: str = ""
    evidence: tuple[Evidence, ...] = ()
    findings: tuple[Finding, ...] = ()
    failed_by_findings: bool = False
    started: float | None = None
    stopped: float | None = None
    duration_s: float = 0.0
    cpu_s: float = 0.0
    finished: bool = False

    def add_phase(
        self,
        when: str,
        outcome: str,
        reason: str,
        start: float | None,
        stop: float | None,
        *,
        out_of_time: bool = False,
    ) -> None:
        self.started = start if self.started is None else self.started
        self.stopped = stop if stop is not None else self.stopped
        self.duration_s = (self.stopped or 0.0) - (self.started or 0.0)
        if when == "teardown":
            self.finished = True
        new = _outcome_of("call" if out_of_time else when, outcome)
        if new is Outcome.SKIPPED and reason.startswith(PENDING_PREFIX):
            new = Outcome.PENDING
        # The first thing that went wrong decides; a teardown error spoils a pass.
        if new is not None and self.outcome in (None, Outcome.PASSED):
            self.outcome = new
            self.reason = reason


def _outcome_of(when: str, outcome: str) -> Outcome | None:
    if outcome == "passed":
        return Outcome.PASSED if when == "call" else None
    if outcome == "skipped":
        return Outcome.SKIPPED
    if when == "call":
        return Outcome.FAILED
    return Outcome.ERROR


class ReadinessSession:
    """Long-lived state of a `--readiness` run, kept on `config.stash`."""

    def __init__(
        self,
        config: ReadinessConfig,
        env_name: str,
        environment: Environment,
        *,
        report_dir: Path,
        fail_fast: bool,
        stage: str = "pre",
    ) -> None:
        self.config = config
        self.env_name = env_name
        self.environment = environment
        self.report_dir = report_dir
        self.fail_fast = fail_fast
        self.stage = stage
        self.redact = Redactor(environment.secrets)
        self._database: ReadOnlyDatabase | None = None
        self.plan: list[CheckSpec] = []
        self._specs: dict[str, CheckSpec] = {}
        self.records: dict[str, ItemRecord] = {}
        self.not_run: dict[str, str] = {}
        self.failed_phases: set[int] = set()
        self.started_at = time.time()
        self.interrupted = False
        self.report: Report | None = None
        self.runbook: binding.RunbookSource | None = None
        # The categories until collection binds the checks to the runbook's headings.
        self.phases = run_phases.of_categories(config.phases)
        # Without a runbook: the sign-offs and waivers, which then name checks by title.
        self.check_records: check_records.CheckRecords | None = None
        # Only the process that started the run writes its reports (never a forked child).
        self.pid = os.getpid()
        # What narrowed the run (`-m db`, node ids); `selected` is None until collection ends.
        self.selection_args: tuple[str, ...] = ()
        self.selected: frozenset[str] | None = None
        # Checklist modules that failed or skipped at import: nodeid -> one-line reason.
        self.collection_problems: dict[str, str] = {}
        self.started = False  # the in-progress report replaced the previous run's
        self.html_by_pytest_html = False  # else our own static page is readiness-<env>.html
        # Our static summary in pytest-html's page, masked whole as it was made.
        self.page_summary: str | None = None
        self.write_errors: list[str] = []  # one line per report that could not be written
        # Earlier runs of this env and stage, oldest first; the entry layer wires the history.
        self.past_runs: Callable[[], list[Mapping[str, Any]]] = list

    @property
    def database(self) -> ReadOnlyDatabase:
        """The shared read-only connection of this process, made on first use."""
        if self._database is None:
            from pytest_readiness.probes.database import ReadOnlyDatabase

            environment = self.environment
            self._database = ReadOnlyDatabase(
                lambda: environment.database_url,
                statement_timeout_s=float(environment.get("statement_timeout", 30.0)),
            )
        return self._database

    def close(self) -> None:
        if self._database is not None:
            self._database.close()

    def release(self) -> None:
        """Every output is written: let go of the plan, the records and the report.

        pytest collects garbage five times at exit, and each pass would walk these three
        objects per item again. After a big run, what is left (pytest's items and reports)
        lives until exit anyway: frozen, those passes and the interpreter's skip it (16 s
        of a loaded machine after 10,000 items). A small run, maybe inside a longer-lived
        process (pytester, an IDE), leaves its garbage collectable.
        """
        big = len(self.plan) >= FREEZE_AFTER_ITEMS
        self.plan, self._specs, self.records, self.report = [], {}, {}, None
        if big:
            gc.freeze()

    # -- the plan ---------------------------------------------------------------------------

    def set_plan(self, specs: Iterable[CheckSpec]) -> None:
        self.plan = list(specs)
        self._specs = {spec.nodeid: spec for spec in self.plan}

    def select(self, nodeids: Iterable[str]) -> None:
        """The items that survived every selection option; the rest are `not-selected`."""
        self.selected = frozenset(nodeids)

    def collection_problem(self, nodeid: str, reason: str) -> None:
        """A checklist module that could not be collected: its checks are unknown, so it is
        one blocking `error` item of its own."""
        self.collection_problems.setdefault(nodeid, reason)

    @property
    def owns_reports(self) -> bool:
        """True in the process that started the run (a check's forked child is not it)."""
        return os.getpid() == self.pid

    def spec(self, nodeid: str) -> CheckSpec | None:
        return self._specs.get(nodeid)

    def phase_name(self, order: int) -> str:
        return self.phases.name(order)

    def phase_label(self, order: int) -> str:
        """ "2. Database Readiness": the phase's number and title, empty for no such phase."""
        if not 0 < order <= len(self.phases.phases):
            return ""
        return f"{order}. {self.phases.phases[order - 1].title}"

    # -- fail-fast ---------------------------------------------------------------------------

    def not_run_reason(self, phase: int) -> str | None:
        """Why an item of `phase` must not start, when fail-fast stopped the run."""
        if not self.fail_fast:
            return None
        earlier = sorted(p for p in self.failed_phases if p < phase)
        if not earlier:
            return None
        return f"not run: phase {self.phase_name(earlier[0])!r} had a blocking failure (fail-fast)"

    # -- results -----------------------------------------------------------------------------

    def record(self, report: pytest.TestReport) -> None:
        """One setup, call or teardown report of an item, with its `readiness` facts
        (outcome.describe_call). A report xdist made up for a crashed worker has no times."""
        nodeid, outcome = report.nodeid, report.outcome
        info: Mapping[str, Any] | None = getattr(report, "readiness", None)
        record = self.records.get(nodeid)
        if record is None:
            record = self.records[nodeid] = ItemRecord()
        if info:  # a quiet pass carries none (most reports of a run)
            self._note(nodeid, record, info)
        record.add_phase(
            report.when or "call",
            outcome,
            str(info.get("reason", "")) if info else "",
            report.start or None,
            report.stop or None,
            out_of_time=bool(info and info.get("out_of_time")),
        )
        if outcome == "failed":
            spec = self.spec(nodeid)
            info = info or {}
            blocking = info.get("blocking", spec.blocking if spec else True)
            phase = info.get("phase", spec.phase if spec else None)
            if blocking and phase is not None and not self._waived(spec, record):
                self.failed_phases.add(int(phase))

    def _note(self, nodeid: str, record: ItemRecord, info: Mapping[str, Any]) -> None:
        """What a report's `readiness` facts add to its item, before its outcome counts."""
        if "evidence" in info:
            record.evidence += tuple(Evidence.from_dict(e) for e in info["evidence"])
        if "findings" in info:
            record.findings += tuple(Finding.from_dict(f) for f in info["findings"])
        if info.get("failed_by_findings") and record.outcome in (None, Outcome.PASSED):
            record.failed_by_findings = True
        if info.get("not_run"):
            self.not_run[nodeid] = str(info["not_run"])
        if "cpu_s" in info:
            record.cpu_s = float(info["cpu_s"])

    def _waived(self, spec: CheckSpec | None, record: ItemRecord) -> bool:
        if spec is None:
            return False
        if self.check_records is not None:
            return check_records.waives_failure(
                self.check_records, spec.title, env=self.env_name, today=date.today()
            )
        if self.runbook is None:
            return False
        return binding.waives_failure(
            self.runbook,
            spec.title,
            env=self.env_name,
            today=date.today(),
            findings=record.findings,
            failed_by_findings=record.failed_by_findings,
            category=spec.category,
        )

    # -- the report --------------------------------------------------------------------------

    @functools.cached_property
    def commit(self) -> str | None:
        """The checked-out commit, asked of git once per run (None outside a repository)."""
        return _git_head(self.environment.root)

    def build_report(self, *, complete: bool, in_progress: bool = False) -> Report:
        finished = time.time()
        problems = tuple(self._problem_item(nodeid) for nodeid in self.collection_problems)
        items = problems + tuple(self._item(spec, complete) for spec in self.plan)
        unfinished = any(
            item.outcome is Outcome.NOT_RUN and item.id not in self.not_run for item in items
        )
        items, extra = self._with_runbook(items)
        self.report = Report(
            env=self.env_name,
            stage=self.stage,
            items=items,
            phases=self.phases.names,
            phase_titles=self.phases.titles,
            started_at=_iso(self.started_at),
            finished_at=_iso(finished),
            complete=complete and not unfinished,
            commit=self.commit,
            duration_s=finished - self.started_at,
            extra=extra,
            selection_args=self.selection_args,
            in_progress=in_progress,
        )
        if self.stage == POST_STAGE:
            self.report = replace(self.report, extra={**extra, **self._rollback(self.report)})
        return self.report

    def _rollback(self, report: Report) -> dict[str, Any]:
        """The report's `rollback` object: the triggers hit and the runbook's rollback steps."""
        steps = list(self.runbook.runbook.rollback_steps()) if self.runbook else []
        hits = [
            {"item": item.id, "title": item.title, "trigger": item_trigger(item)}
            for item in report.triggers
        ]
        return {"rollback": {"triggers": hits, "steps": steps}}

    def runbook_binding(self) -> binding.Binding | None:
        """The plan's checks bound to the runbook's lines (None without a runbook)."""
        if self.runbook is None:
            return None
        checks = [binding.Check(s.title, s.nodeid, s.category) for s in self.plan]
        return binding.bind_checks(self.runbook, checks, self.stage)

    def _with_runbook(self, items: tuple[Item, ...]) -> tuple[tuple[Item, ...], dict[str, Any]]:
        """Add the manual runbook lines, apply sign-offs and waivers, describe the runbook."""
        bound = self.runbook_binding()
        if self.check_records is not None:
            return check_records.finish_items(
                items,
                self.check_records,
                env=self.env_name,
                commit=self.commit,
                today=date.today(),
                root=self.config.root,
            )
        if self.runbook is None or bound is None:
            return items, {}
        # The same phases collection found (the same checks, the same lines), also when the
        # run ended before collection or a worker collected for this controller.
        self.phases = run_phases.of_binding(bound, self.config.raw.get("phases"))
        extra = binding.report_extra(
            self.runbook, bound, env=self.env_name, commit=self.commit, root=self.config.root
        )
        finished = binding.finish_items(
            items,
            bound,
            self.runbook,
            env=self.env_name,
            commit=self.commit,
            today=date.today(),
            manual_blocking=bool(self.environment.get("manual_blocking", True)),
            config=self.config,
            phases=self.phases,
        )
        return finished, extra

    def _problem_item(self, nodeid: str) -> Item:
        first = self.config.phases[0]
        return Item(
            id=nodeid,
            title=f"Checklist module {nodeid}",
            category=first,
            phase=1,
            outcome=Outcome.ERROR,
            reason=self.collection_problems[nodeid],
        )

    def _item(self, spec: CheckSpec, complete: bool) -> Item:
        if self.selected is not None and spec.nodeid not in self.selected:
            narrowed = " ".join(self.selection_args) or "deselected by a plugin"
            return _plan_item(spec, Outcome.NOT_SELECTED, f"not selected ({narrowed})")
        record = self.records.get(spec.nodeid)
        if spec.nodeid in self.not_run or record is None or record.outcome is None:
            why = "the run was interrupted" if not complete else "it never ran"
            reason = self.not_run.get(spec.nodeid, f"not run: {why}")
            return _plan_item(spec, outcome=Outcome.NOT_RUN, reason=reason)
        outcome = record.outcome
        if not record.finished and outcome is Outcome.PASSED:
            outcome = Outcome.ERROR
        item = _plan_item(
            spec,
            outcome=outcome,
            reason=record.reason,
            duration_s=max(record.duration_s, 0.0),
            started_at=_iso(record.started) if record.started else None,
            finished_at=_iso(record.stopped) if record.stopped else None,
            evidence=record.evidence,
            extra={"cpu_s": record.cpu_s} if record.cpu_s else {},
        )
        if record.findings:
            item = replace(
                item,
                findings=record.findings,
                failed_by_findings=record.failed_by_findings and outcome is Outcome.FAILED,
            )
        return self._with_severity(item, spec) if self.stage == POST_STAGE else item

    def _with_severity(self, item: Item, spec: CheckSpec) -> Item:
        """Post stage: label a failing item P0/P1/P2 and name the rollback trigger it hit.

        A trigger is hit by trigger evidence from the check (a measured value beyond the
        rollback threshold), by a failed blocking `feature` item, or by a failed item whose
        severity is configured P0 (marker `severity=` or `vars.severity[title]`).
        """
        if item.outcome.is_ok:
            return item
        configured = self.environment.vars.get("severity") or {}
        level = configured.get(spec.title) if isinstance(configured, Mapping) else None
        level = str(level or spec.severity or ("P1" if spec.blocking else "P2"))
        trigger = None
        if item.outcome in (Outcome.FAILED, Outcome.ERROR):
            trigger = next((e.summary for e in item.evidence if e.kind == TRIGGER_EVIDENCE), None)
            if trigger is None and spec.category == Category.FEATURE and spec.blocking:
                trigger = FEATURE_TRIGGER
            if trigger is None and level == "P0":
                trigger = f"P0 item failed: {spec.title}"
        severity = "P0" if trigger else level
        return replace(item, extra={**item.extra, "severity": severity, "trigger": trigger})


def _plan_item(
    spec: CheckSpec,
    outcome: Outcome,
    reason: str,
    *,
    duration_s: float = 0.0,
    started_at: str | None = None,
    finished_at: str | None = None,
    evidence: tuple[Evidence, ...] = (),
    extra: Mapping[str, Any] | None = None,
) -> Item:
    """The report's item for `spec`, built once (`dataclasses.replace` per field costs)."""
    return Item(
        id=spec.nodeid,
        title=spec.title,
        category=spec.category,
        phase=spec.phase,
        blocking=spec.blocking,
        outcome=outcome,
        reason=reason,
        duration_s=duration_s,
        started_at=started_at,
        finished_at=finished_at,
        evidence=evidence,
        extra=extra or {},
    )


def _iso(timestamp: float) -> str:
    """UTC with milliseconds, `2026-11-25T12:00:00.123Z`; a report has two per item."""
    whole = int(timestamp)
    # Rounded to microseconds first, as datetime does, so both name the same millisecond.
    micros = round((timestamp - whole) * 1_000_000)
    return f"{_iso_second(whole + micros // 1_000_000)}.{micros % 1_000_000 // 1000:03d}Z"


@functools.lru_cache(maxsize=256)
def _iso_second(whole: int) -> str:
    # Items finish many to the second: formatting each second once made building a report
    # of 1,000 items 5 ms faster.
    return datetime.fromtimestamp(whole, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _git_head(root: Path) -> str | None:
    try:
        return commits.head(root)
    except commits.GitError:
        return None


def parse_marker(
    nodeid: str, args: Sequence[Any], kwargs: Mapping[str, Any], category: str, phase: int
) -> CheckSpec:
    """Validate one category marker; `ValueError` names the test and what is wrong."""
    if len(args) != 1 or not isinstance(args[0], str) or not args[0].strip():
        raise ValueError(
            f"{nodeid}: @pytest.mark.{category} needs the runbook line as its one argument, "
            f'e.g. @pytest.mark.{category}("Build: PASSING")'
        )
    unknown = sorted(set(kwargs) - MARKER_OPTIONS)
    if unknown:
        raise ValueError(f"{nodeid}: unknown option {unknown[0]!r} on @pytest.mark.{category}")
    blocking = kwargs.get("blocking", True)
    if not isinstance(blocking, bool):
        raise ValueError(f"{nodeid}: blocking= must be True or False")
    timeout = kwargs.get("timeout")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, int | float)):
        raise ValueError(f"{nodeid}: timeout= must be a number of seconds")
    if timeout is not None and not (math.isfinite(timeout) and timeout > 0):
        # pytest-timeout reads 0 or less as "no timeout"; the limit must not switch off.
        raise ValueError(
            f"{nodeid}: timeout= must be a positive, finite number of seconds, got {timeout!r}"
        )
    retry = kwargs.get("retry")
    if retry is not None and not isinstance(retry, Retry):
        raise ValueError(
            f"{nodeid}: retry= must be a pytest_readiness.Retry, e.g. retry=Retry(attempts=5)"
        )
    stage = kwargs.get("stage", "pre")
    if stage not in STAGES:
        raise ValueError(f"{nodeid}: stage= must be one of {', '.join(STAGES)}, got {stage!r}")
    severity = kwargs.get("severity")
    if severity is not None and severity not in SEVERITIES:
        raise ValueError(
            f"{nodeid}: severity= must be one of {', '.join(SEVERITIES)}, got {severity!r}"
        )
    return CheckSpec(
        nodeid=nodeid,
        title=args[0].strip(),
        category=category,
        phase=phase,
        blocking=blocking,
        timeout=float(timeout) if timeout is not None else None,
        retry=retry,
        stage=stage,
        severity=severity,
    )
