"""The library reports progress through standard ``logging`` (logger ``evidence`` and one
child per module), never by printing (issue 13 item 3)."""

from __future__ import annotations

import ast
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from evidence.anchorlock import anchor_lock
from evidence.errors import ChainError


@pytest.fixture(autouse=True)
def _no_cli_handler() -> Iterator[None]:
    """The command line, run in this process by another test, attaches its stderr handler
    to the library's logger; these tests look at the library alone."""
    library = logging.getLogger("evidence")
    saved = list(library.handlers)
    library.handlers.clear()
    yield
    library.handlers[:] = saved


def test_a_waiting_anchor_lock_logs_when_no_callback_is_given(
        tmp_path: Path, caplog: pytest.LogCaptureFixture,
        capsys: pytest.CaptureFixture[str]) -> None:
    caplog.set_level(logging.INFO, logger="evidence")
    with anchor_lock(tmp_path), pytest.raises(ChainError), anchor_lock(tmp_path, timeout_s=0.2):
        pass  # pragma: no cover - the inner lock is never taken
    [record] = [r for r in caplog.records if r.name == "evidence.anchorlock"]
    assert record.levelno == logging.INFO
    assert record.getMessage().startswith("another `evidence anchor` is running in")
    assert capsys.readouterr() == ("", "")  # logged, never printed


def test_verify_logs_its_steps(example_bundle: Path, caplog: pytest.LogCaptureFixture,
                              capsys: pytest.CaptureFixture[str]) -> None:
    from evidence.verification.verifier import verify

    caplog.set_level(logging.INFO, logger="evidence")
    verify(example_bundle, offline=True)
    messages = [r.getMessage() for r in caplog.records
                if r.name == "evidence.verification.verifier"]
    assert messages and messages[0].startswith(f"checking {example_bundle} offline")
    assert capsys.readouterr() == ("", "")


# -- no `log=` callbacks left ------------------------------------------------------------

LIBRARY = Path(__file__).resolve().parents[1] / "evidence"


def _callable_aliases(tree: ast.Module) -> set[str]:
    """Module-level names bound to a Callable type (``Log = Callable[[str], None]``)."""
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Assign) and "Callable" in ast.unparse(node.value):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
              and node.value is not None and "Callable" in ast.unparse(node.value)):
            names.add(node.target.id)  # ``Log: TypeAlias = Callable[...]``
    return names


def _log_callbacks(source: str, where: str, aliases: frozenset[str] = frozenset()
                   ) -> list[str]:
    """Each function parameter named ``log`` whose type is a Callable (or unannotated);
    ``aliases``: Callable aliases other modules define (the module may import them)."""
    tree = ast.parse(source)
    aliases |= _callable_aliases(tree)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        a = node.args
        for arg in [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg]:
            if arg is None or arg.arg != "log":
                continue
            shown = "" if arg.annotation is None else ast.unparse(arg.annotation)
            words = set(re.findall(r"\w+", shown))
            if not shown or "Callable" in words or words & aliases:
                found.append(f"{where}:{arg.lineno} log: {shown or '(no annotation)'}")
    return found


def test_no_log_callback_parameter_is_left_in_the_library() -> None:
    """Progress and diagnostics go through ``logging`` (each module's own logger), never a
    ``log=`` callback (issue 13, Deliver 3)."""
    sources = {str(p.relative_to(LIBRARY.parent)): p.read_text(encoding="utf-8")
               for p in sorted(LIBRARY.rglob("*.py"))}
    assert len(sources) > 50  # the library, not an empty folder
    aliases = frozenset().union(*(_callable_aliases(ast.parse(s)) for s in sources.values()))
    found = [hit for where, source in sources.items()
             for hit in _log_callbacks(source, where, aliases)]
    assert found == []


@pytest.mark.parametrize("source", [
    "def f(*, log: Callable[[str], None] | None = None) -> None: ...",
    "def f(log: 'Callable[[str], None]') -> None: ...",
    "Log = Callable[[str], None]\nclass D:\n    def __init__(self, log: Log) -> None: ...",
    "def f(log=print): ...",
    "Log: TypeAlias = Callable[[str], None]\ndef f(log: Log | None = None) -> None: ...",
])
def test_the_check_finds_a_log_callback(source: str) -> None:
    assert _log_callbacks(source, "x.py")


def test_the_check_finds_an_imported_alias() -> None:
    # evidence/witness/daemon.py took ``log: Log``, an alias evidence/witness/confirm.py made.
    source = "from .confirm import Log\ndef serve(*, log: Log | None = None) -> None: ..."
    assert _log_callbacks(source, "x.py", frozenset({"Log"}))
    assert _log_callbacks(source, "x.py") == []  # (why the aliases of every module count)


def test_the_check_leaves_a_receipt_log_alone() -> None:
    # evidence/chain/anchorstate.py: ``log`` is an event log of a receipt, not a callback.
    assert _log_callbacks("def decode(log: ConfirmedLog) -> None: ...", "x.py") == []
