"""pytest hooks of pytest-readiness: options, markers, ordering, verdict and exit status."""

from __future__ import annotations

import functools
import os
import signal
from collections.abc import Generator
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from pytest_readiness import config as readiness_config
from pytest_readiness import hooks
from pytest_readiness.model import STAGES, Category, ItemTimedOut
from pytest_readiness.probes import processes
from pytest_readiness.probes._text import counted
from pytest_readiness.report import history, html, start_reports, write_reports
from pytest_readiness.report.ci import junit_properties, redact_junit
from pytest_readiness.report.files import report_path
from pytest_readiness.report.terminal import (
    index_teardown_reports,
    redact_terminal,
    write_summary,
)
from pytest_readiness.run import fixtures, workers
from pytest_readiness.run.fixtures import (
    PROCESS_GROUPS,
    READINESS_SESSION,
    evidence_log,
    stashed,
)
from pytest_readiness.run.outcome import describe_call, redact_extras, redact_report
from pytest_readiness.run.plan import narrow_to, plan_items, problem_of
from pytest_readiness.run.retry import run_with_retries
from pytest_readiness.run.selection import Selection, take_selection
from pytest_readiness.run.session import ReadinessSession
from pytest_readiness.run.timing import TimeBudgets, register_budgets
from pytest_readiness.runbook import binding, check_records
from pytest_readiness.runbook.records import RecordError
from pytest_readiness.scaffold import command as scaffold

CHECKLIST = pytest.StashKey[Path]()
SELECTION = pytest.StashKey[Selection]()
NOT_RUN = pytest.StashKey[str]()
RETRYING = pytest.StashKey[bool]()
PROCESS_MARK = pytest.StashKey[processes.Mark]()
AUTO_WORKERS = pytest.StashKey[workers.WorkerChoice]()


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hooks)
    pluginmanager.register(fixtures, "readiness-fixtures")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("readiness", "production readiness checklist")
    group.addoption(
        "--readiness",
        action="store_true",
        default=False,
        help="run the checklist folder against an environment and write the go/no-go report",
    )
    group.addoption("--env", dest="readiness_env", default=None, help="environment to check")
    group.addoption(
        "--readiness-report", dest="readiness_report", default=None, help="report folder"
    )
    group.addoption(
        "--readiness-fail-fast",
        action="store_true",
        default=False,
        help="after a phase with a blocking failure, record every later item as not-run",
    )
    group.addoption(
        "--stage",
        dest="readiness_stage",
        choices=STAGES,
        default="pre",
        help="pre: the checklist before the deploy (default); post: production verification "
        "after the deploy, with the ROLLBACK verdict",
    )
    group.addoption(
        "--readiness-init",
        nargs="?",
        const="",
        default=None,
        metavar="RUNBOOK",
        help="write the [tool.readiness] config and checks/ for a runbook, then exit "
        "(as `readiness init`)",
    )
    group.addoption(
        "--readiness-init-force",
        action="store_true",
        default=False,
        help="with --readiness-init: overwrite files that exist",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> int | None:
    """`pytest --readiness-init [RUNBOOK]`: scaffold instead of running tests."""
    runbook_arg = config.getoption("readiness_init")
    if runbook_arg is None:
        return None
    force = bool(config.getoption("readiness_init_force"))
    root = config.invocation_params.dir
    try:
        print(scaffold.init(root, runbook_arg or None, force=force).message)
    except scaffold.InitRefused as exc:
        print(f"readiness init: error: {exc}")
        return int(pytest.ExitCode.USAGE_ERROR)
    return int(pytest.ExitCode.OK)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    own = readiness_config.declared_categories(config.rootpath)
    for category in (*Category, *own):
        config.addinivalue_line(
            "markers",
            f'{category}(title, blocking=True, timeout=None, retry=None, stage="pre", '
            f'severity=None): checklist item of the "{category}" category; title is the '
            "runbook line",
        )
    config.stash[CHECKLIST] = readiness_config.checklist_folder(config.rootpath)
    if config.getoption("readiness"):
        _start_readiness(config)
    elif config.getoption("readiness_env"):
        config.issue_config_time_warning(
            pytest.PytestConfigWarning(
                f"--env {config.getoption('readiness_env')} has no effect without --readiness"
            ),
            stacklevel=2,
        )


def _start_readiness(config: pytest.Config) -> None:
    settings = readiness_config.load(config.rootpath)
    env_name = config.getoption("readiness_env") or settings.default_env
    if env_name not in settings.envs:
        known = ", ".join(sorted(settings.envs))
        raise pytest.UsageError(f"unknown environment {env_name!r}; known environments: {known}")
    controller = not hasattr(config, "workerinput")
    if controller:
        config.hook.pytest_readiness_prepare(config=config, env_name=env_name)
    option = config.getoption("readiness_report")
    report_dir = (config.invocation_params.dir / option).resolve() if option else settings.reports
    session = ReadinessSession(
        settings,
        env_name,
        settings.resolve(env_name),
        report_dir=report_dir,
        fail_fast=config.getoption("readiness_fail_fast"),
        stage=config.getoption("readiness_stage"),
    )
    session.past_runs = functools.partial(history.past_runs, report_dir, env_name, session.stage)
    try:
        session.runbook = binding.load_source(settings)
        if session.runbook is None:
            session.check_records = check_records.load(settings)
    except binding.RunbookSetupError as exc:
        raise pytest.UsageError(str(exc)) from None
    except RecordError as exc:
        raise pytest.UsageError(str(exc)) from None
    config.stash[READINESS_SESSION] = session
    config.pluginmanager.register(ReadinessRunHooks(config, session), "readiness-run")
    config.pluginmanager.register(ProcessSweep(), "readiness-process-sweep")
    if _distributed(config):
        from pytest_readiness.run.xdist import register_xdist_phases

        register_xdist_phases(config)
    budgets = register_budgets(config, session)
    if session.fail_fast or budgets.any:
        config.pluginmanager.register(ItemGuards(session, budgets), "readiness-guards")
    # The whole checklist is always collected: what the user narrowed it to is a selection.
    selection = take_selection(config, settings.checklist)
    session.selection_args = selection.described
    config.stash[SELECTION] = selection
    config.option.continue_on_collection_errors = True  # a broken module is an error item
    if controller:
        html.enable(config, session)
        _interrupt_on(config, (signal.SIGTERM,), once=False)
    else:
        _interrupt_on(config, (signal.SIGINT, signal.SIGTERM), once=True)


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def _distributed(config: pytest.Config) -> bool:
    """True in an xdist worker and in a controller that will start workers (`-n N`, N > 0).

    pytest-xdist settles `dist`/`tx` in its `pytest_cmdline_main`, before any
    `pytest_configure`; a run without workers then pays nothing for the phase barrier.
    """
    if not config.pluginmanager.hasplugin("xdist"):
        return False
    if hasattr(config, "workerinput"):
        return True
    return config.getoption("dist", "no") != "no" and bool(config.getoption("tx", None))


def _interrupt_on(config: pytest.Config, signals: tuple[int, ...], *, once: bool) -> None:
    """Turn `signals` into KeyboardInterrupt, so the run ends as after Ctrl-C: reports written.

    The controller takes SIGTERM (CI cancelling the job). An xdist worker takes SIGINT (its
    interrupted controller) and SIGTERM (CI signalling the whole process group) `once`: later
    signals are ignored, so the teardown that kills the item's commands is not cut short.
    """

    def interrupt(signum: int, frame: FrameType | None) -> None:
        if once:
            for each in signals:
                signal.signal(each, signal.SIG_IGN)
        raise KeyboardInterrupt(f"received signal {signum}")

    try:
        previous = {each: signal.signal(each, interrupt) for each in signals}
    except ValueError:  # not the main thread: whoever runs us there owns the signals
        return

    def restore() -> None:
        for each, handler in previous.items():
            signal.signal(each, handler)

    config.add_cleanup(restore)


# pytest-xdist's hook, for `-n auto`. tryfirst: xdist's own answer (the core count) ends the
# hook when it is asked first, as it is whenever this plugin was registered before xdist.
@pytest.hookimpl(optionalhook=True, tryfirst=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """A readiness run starts only the workers its last run says pay for themselves."""
    if not config.getoption("readiness") or os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None  # xdist's own count
    choice = workers.for_next_run(_last_report(config))
    config.stash[AUTO_WORKERS] = choice
    return choice.workers


def _last_report(config: pytest.Config) -> Path:
    """Where this run's JSON report goes: the last run of the same environment and stage."""
    settings = readiness_config.load(config.rootpath)
    option = config.getoption("readiness_report")
    folder = (config.invocation_params.dir / option).resolve() if option else settings.reports
    env_name = config.getoption("readiness_env") or settings.default_env
    return report_path(folder, env_name, "json", config.getoption("readiness_stage"))


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if config.getoption("readiness"):
        return None
    checklist = config.stash.get(CHECKLIST, None)
    if checklist is not None and collection_path == checklist:
        return True
    return None


# tryfirst: the plan is made of every collected check, before -m, -k or --deselect remove any.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    readiness = config.stash.get(READINESS_SESSION, None)
    if readiness is not None:
        plan_items(readiness, items)
        narrow_to(config.stash[SELECTION], config, items)
        fixtures.warm_up(items)
        plugins = config.pluginmanager
        if any(spec.retry for spec in readiness.plan) and not plugins.has_plugin("readiness-retry"):
            plugins.register(RetryHooks(readiness), "readiness-retry")
        if hasattr(config, "workerinput"):
            from pytest_readiness.run.xdist import plan_phase, write_phase_map

            write_phase_map(config, items, plan_phase(readiness))


class ReadinessRunHooks:
    """Hooks that need the run's state; registered only in `--readiness` mode.

    Hooks that only some runs need are on objects of their own, registered when needed
    (`ItemGuards`, `RetryHooks`, `OutOfTimeStatus`): every hook implementation costs every
    item, even one that returns at once.
    """

    def __init__(self, config: pytest.Config, session: ReadinessSession) -> None:
        self._config = config
        self._session = session
        self._compact = config.option.tbstyle == "auto"
        self._junit = bool(config.getoption("xmlpath", None))
        # pytest-html writes in the controller; a worker escaping too would escape twice.
        self._html = not _is_worker(config) and config.pluginmanager.hasplugin("html")
        self._page: html.HtmlReportHooks | None = None  # pytest-html writing our page
        self._cpu_mark = 0.0

    @pytest.hookimpl(tryfirst=True)  # before the terminal writes its header
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self._page = self._config.pluginmanager.get_plugin("readiness-html")
        reporter = self._config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            redact_terminal(self._config.get_terminal_writer(), self._session.redact)
            index_teardown_reports(reporter)
        # `--lf` would drop the other checks at collection, unseen; its deselection stays.
        plugins = self._config.pluginmanager
        if plugins.has_plugin("lfplugin-collwrapper"):
            plugins.unregister(name="lfplugin-collwrapper")

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        problem = problem_of(report) if report.nodeid else None
        if problem is not None:
            self._session.collection_problem(report.nodeid, problem)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self._session.select(item.nodeid for item in session.items)
        if self._session.collection_problems and not self._session.plan:
            problems = "\n  ".join(self._session.collection_problems.values())
            raise pytest.UsageError(f"no checklist item could be collected:\n  {problems}")

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> None:
        """Before any item runs, the previous run's reports give way to an in-progress NO-GO."""
        self._cpu_mark = workers.cpu_seconds()
        if not session.config.option.collectonly and not _is_worker(session.config):
            start_reports(self._session)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        if not self._session.owns_reports:
            # A check forked and its child came back into pytest: it must not carry on the
            # run, print a second verdict or write reports.
            os._exit(1)
        if report.when == "call":
            item.stash[fixtures.CALL_PASSED] = report.passed
        describe_call(self._session, item, call, report, not_run=stashed(item.stash, NOT_RUN))
        if report.when == "teardown":
            self._cpu_mark = workers.note_cpu(report, since=self._cpu_mark)
        redact_report(self._session.redact, report, compact=self._compact)
        return report

    # tryfirst: before junitxml reads the teardown's user_properties, before pytest-html reads
    # the extras, and before the terminal asks for the status of an item that ran out of time.
    # One hook for all of it: every implementation of a per-report hook costs every report.
    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        redact_extras(self._session.redact, report)
        if self._html:
            html.escape_links(report)  # pytest-html shows link extras as HTML, unescaped
        if self._page is not None:
            self._page.note(report)
        self._session.record(report)
        if self._junit and report.when == "teardown":
            report.user_properties.extend(junit_properties(self._session, report.nodeid))
        info = getattr(report, "readiness", None) or {}
        plugins = self._config.pluginmanager
        if info.get("out_of_time") and not plugins.has_plugin("readiness-status"):
            plugins.register(OutOfTimeStatus(), "readiness-status")

    @pytest.hookimpl(hookwrapper=True)
    def pytest_sessionfinish(
        self, session: pytest.Session, exitstatus: int
    ) -> Generator[Any, Any, None]:
        if _is_worker(session.config) or not self._session.started:
            yield  # --collect-only, a usage error: this run leaves no report and no history
            return
        report = write_reports(self._session, exitstatus=exitstatus)
        if exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED and report.items:
            exitstatus = pytest.ExitCode.OK  # no check, but runbook lines: manual items count
        session.exitstatus = _exit_status(exitstatus, report.verdict.value)
        outcome = yield
        if isinstance(outcome.exception, OSError):  # pytest-html could not write its page
            html.discard(self._session, outcome.exception)
            outcome.force_result(None)
        if self._junit:
            redact_junit(_junit_path(session.config), self._session.redact)
        html.publish(self._session, session.config)
        if self._session.write_errors:
            session.exitstatus = pytest.ExitCode.INTERNAL_ERROR

    def pytest_report_collectionfinish(self) -> list[str]:
        bound = self._session.runbook_binding()
        if bound is None or not self._config.option.collectonly:
            return []
        return ["runbook lines:", *binding.collection_lines(bound)]

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self._session.report is not None:
            write_summary(terminalreporter, self._session)
        choice = self._config.stash.get(AUTO_WORKERS, None)
        if choice is not None:  # -q too: what -n auto chose explains the run's time
            terminalreporter.write_line(f"readiness: -n auto: {choice}")

    def pytest_unconfigure(self) -> None:
        self._session.close()
        html.publish(self._session, self._config)
        self._session.release()


class ProcessSweep:
    """Kill what a check left running: when its item ends, and what is left at the run's end.

    Orphans (`setsid`, a double fork, the commands of a crashed xdist worker) come back to
    this process, a child subreaper in the controller and in each worker; the end of the
    run comes also after a signal.
    """

    def __init__(self) -> None:
        self._restore = processes.become_subreaper()
        self._run_mark = processes.mark()

    @pytest.hookimpl(wrapper=True)
    def pytest_sessionstart(self) -> Generator[None, None, None]:
        yield  # xdist starts its workers here: they are not leftovers
        self._run_mark = processes.mark()

    # A hook of its own, inside the call: the item's timer may fire while psutil walks the
    # processes, and there it fails the item; in makereport it would stop the run.
    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_call(self, item: pytest.Item) -> None:
        item.stash[PROCESS_MARK] = processes.mark()

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_teardown(self, item: pytest.Item) -> Generator[None, None, None]:
        try:
            yield
        finally:
            since = stashed(item.stash, PROCESS_MARK)
            if since is not None:
                groups = stashed(item.stash, PROCESS_GROUPS)
                owned = groups.leaders if groups is not None else frozenset()
                killed = processes.sweep(since, owned=owned)
                if killed:
                    evidence_log(item).add(
                        "command",
                        f"killed {counted(len(killed), 'process', 'processes')} left running "
                        "by the item",
                        detail="\n".join(killed),
                        killed=killed,
                    )

    def pytest_unconfigure(self) -> None:
        processes.sweep(self._run_mark)
        self._restore()


class ItemGuards:
    """Items that must not start: fail-fast stopped the run, or their phase's budget is spent.

    Registered only with `--readiness-fail-fast` or `phase_budgets`.
    """

    def __init__(self, session: ReadinessSession, budgets: TimeBudgets) -> None:
        self._session = session
        self._budgets = budgets

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        spec = self._session.spec(item.nodeid)
        reason = self._session.not_run_reason(spec.phase) if spec else None
        if reason is not None:
            evidence_log(item).add("note", reason)
            item.stash[NOT_RUN] = reason
            pytest.skip(reason)
        over = self._budgets.over_budget(item)
        if over is not None:
            evidence_log(item).add("note", f"not started: {over}")
            raise ItemTimedOut(over)


class RetryHooks:
    """A check marked `retry=` has its function called again until it passes (retry.py).

    Registered only when the plan has such a check.
    """

    def __init__(self, session: ReadinessSession) -> None:
        self._session = session

    @pytest.hookimpl(tryfirst=True)
    def pytest_pyfunc_call(self, pyfuncitem: pytest.Function) -> bool | None:
        spec = self._session.spec(pyfuncitem.nodeid)
        if spec is None or spec.retry is None or pyfuncitem.stash.get(RETRYING, False):
            return None
        pyfuncitem.stash[RETRYING] = True  # each attempt re-enters the hook and takes pytest's path

        def attempt() -> object:
            return pyfuncitem.ihook.pytest_pyfunc_call(pyfuncitem=pyfuncitem)

        try:
            run_with_retries(attempt, spec.retry, evidence_log(pyfuncitem))
        finally:
            pyfuncitem.stash[RETRYING] = False
        return True


class OutOfTimeStatus:
    """An item that ran out of time before its test started (phase budget spent, a fixture
    too slow) is `failed` in our report; pytest's terminal would call it an ERROR.

    Registered by `ReadinessRunHooks` at the first report that ran out of time.
    """

    @pytest.hookimpl(tryfirst=True)
    def pytest_report_teststatus(self, report: pytest.TestReport) -> tuple[str, str, str] | None:
        info = getattr(report, "readiness", None) or {}
        if report.when == "setup" and report.failed and info.get("out_of_time"):
            return "failed", "F", "FAILED"
        return None


def _junit_path(config: pytest.Config) -> Path:
    """Where pytest's junitxml writes, resolved as it resolves `--junitxml`."""
    path = os.path.expanduser(os.path.expandvars(config.getoption("xmlpath")))
    return Path(os.path.normpath(os.path.abspath(path)))


def _exit_status(pytest_status: int, verdict: str) -> int:
    if pytest_status in (
        pytest.ExitCode.INTERRUPTED,
        pytest.ExitCode.INTERNAL_ERROR,
        pytest.ExitCode.USAGE_ERROR,
        pytest.ExitCode.NO_TESTS_COLLECTED,
    ):
        return int(pytest_status)
    return 0 if verdict == "GO" else 1
