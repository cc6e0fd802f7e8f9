"""One consistent command line (issue 15, Deliver 5): -w after the command, -V, --json on
every reporting command, Ctrl-C -> 130, three passphrase tries at a terminal, built-in
policy names in any case, options checked before the passphrase, logging on stderr."""

from __future__ import annotations

import json
import logging
import os
import pty
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import click
import pytest

from ..conftest import EXAMPLES, PASSPHRASE, run_cli

TRUST_ASSETS = Path(__file__).resolve().parents[1] / "assets" / "trust"


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory, session_workspace: Path) -> Path:
    dst = tmp_path_factory.mktemp("consistency") / "ws"
    shutil.copytree(session_workspace, dst)
    return dst


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory, ws: Path) -> Path:
    from evidence.capturing.pipeline import capture
    from evidence.workspace import open_workspace

    out = tmp_path_factory.mktemp("consistency-bundle") / "bundle"
    capture([EXAMPLES / "screenshots"], records=[EXAMPLES / "transactions.csv"], out=out,
            case="C-15", key=open_workspace(ws).signing_key(PASSPHRASE))
    return out


def test_dash_capital_v_is_version() -> None:
    for flag in ("-V", "--version"):
        proc = run_cli(flag)
        assert proc.returncode == 0 and "version 0.1.0" in proc.stdout, proc.stderr


def test_workspace_after_the_command(ws: Path, tmp_path: Path) -> None:
    out = tmp_path / "b"
    # run from a folder with no workspace above it: only -w after the command names one
    proc = run_cli("capture", str(EXAMPLES / "screenshots"), "--case", "C", "-o", str(out),
                   "-w", str(ws), "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["bundle"] == str(out) and doc["files"] == len(list(
        (EXAMPLES / "screenshots").iterdir()))
    assert set(doc) == {"bundle", "root", "items", "files", "records", "bytes", "moved",
                        "warnings"}
    # a command of a group: the workspace is found (its [timestamps] has no TSA), not
    # "no workspace here"
    proc = run_cli("timestamp", str(out), "--workspace", str(ws), cwd=tmp_path)
    assert proc.returncode == 2 and "no TSA" in proc.stderr, proc.stderr


def test_workspace_after_the_command_in_process(ws: Path, tmp_path: Path) -> None:
    """The option sets the same context value as before the command (no chain needed)."""
    from click.testing import CliRunner
    from evidence_cli.common import Context
    from evidence_cli.main import cli

    seen: list[Path | None] = []

    @click.command("probe")
    @click.pass_context
    def probe(ctx: click.Context) -> None:
        obj = ctx.find_object(Context)
        assert obj is not None
        seen.append(obj.workspace_path)

    from evidence_cli import main as main_module

    main_module._add_workspace_option(probe, "probe")
    cli.add_command(probe)
    try:
        result = CliRunner().invoke(cli, ["probe", "-w", str(ws)])
        assert result.exit_code == 0, result.output
        result = CliRunner().invoke(cli, ["-w", str(tmp_path), "probe"])
        assert result.exit_code == 0, result.output
    finally:
        cli.commands.pop("probe")
        library = logging.getLogger("evidence")  # the group configured it: undo that
        library.handlers.clear()
        library.setLevel(logging.NOTSET)
    assert seen == [ws, tmp_path]


def test_every_workspace_command_takes_w_after_its_name() -> None:
    from evidence_cli.main import COMMANDS, NO_WORKSPACE, cli

    ctx = click.Context(cli)
    missing = []

    def walk(command: click.Command, name: str) -> None:
        if isinstance(command, click.Group):
            for sub_name, sub in command.commands.items():
                walk(sub, f"{name} {sub_name}")
            return
        opts = [o for p in command.params for o in getattr(p, "opts", [])]
        if name not in NO_WORKSPACE and "-w" not in opts:
            missing.append(name)
        assert len(opts) == len(set(opts)), f"{name}: an option twice"

    for name in COMMANDS:
        command = cli.get_command(ctx, name)
        assert command is not None
        walk(command, name)
    assert not missing


#: Commands that report something but have no --json yet (their output is one line or a
#: daemon's log on stderr). Kept short on purpose; a new command must not be added here
#: silently.
NO_JSON = {
    "batcher serve",  # a daemon: its log lines go to stderr
    "witness serve",  # a daemon: its log lines go to stderr
}


def test_json_option_on_every_reporting_command() -> None:
    from evidence_cli.main import COMMANDS, cli

    ctx = click.Context(cli)
    without = set()

    def walk(command: click.Command, name: str) -> None:
        if isinstance(command, click.Group):
            for sub_name, sub in command.commands.items():
                walk(sub, f"{name} {sub_name}")
            return
        if "--json" not in [o for p in command.params for o in getattr(p, "opts", [])]:
            without.add(name)

    for name in COMMANDS:
        command = cli.get_command(ctx, name)
        assert command is not None
        walk(command, name)
    assert without == NO_JSON


def test_json_output_parses(ws: Path, bundle: Path, tmp_path: Path) -> None:
    """Each reporting command's --json is one JSON document on stdout."""
    profile = tmp_path / "court.toml"
    shutil.copyfile(TRUST_ASSETS / "good" / "every_key.toml", profile)
    runs = {
        "jurisdictions": ["jurisdictions", "--json"],
        "inspect": ["inspect", str(bundle), "--json"],
        "verify": ["verify", str(bundle), "--offline", "--json"],
        "disclose": ["disclose", str(bundle), "--item", "F-1", "-o", str(tmp_path / "d"),
                     "-w", str(ws), "--json"],
        "recheck-script": ["recheck-script", "-o", str(tmp_path / "r.py"), "--json"],
        "report": ["report", str(bundle), "-o", str(tmp_path / "r.json"), "--offline",
                   "--json"],
        "report-check": ["report-check", str(tmp_path / "r.json"), "--json"],
        "trust keygen": ["trust", "keygen", "-o", str(tmp_path / "pub.key"), "--json"],
        "trust sign": ["trust", "sign", str(profile), "--key", str(tmp_path / "pub.key"),
                       "--json"],
        "trust check": ["trust", "check", str(profile), "--json"],
        "trust show": ["trust", "show", str(profile), "--json"],
        "init": ["init", str(tmp_path / "ws-new"), "--no-chain", "--json"],
    }
    for name, args in runs.items():
        proc = run_cli(*args, cwd=tmp_path)
        assert proc.returncode in (0, 1), (name, proc.stderr)
        doc = json.loads(proc.stdout)
        assert isinstance(doc, dict) and doc, name
    written = json.loads(run_cli("report", str(bundle), "-o", str(tmp_path / "s.json"),
                                 "--offline", "--json").stdout)
    assert written["report"] == str(tmp_path / "s.json") and written["format"] == "json"
    assert written["verdict"] == "not-presumed" and written["signed"] is False
    again = json.loads(run_cli("init", str(tmp_path / "ws-new"), "--no-chain", "--json").stdout)
    assert again["created"] is False and again["chain"] is None
    assert again["capturer_fingerprint"].startswith("sha256:")


def test_builtin_policy_names_ignore_case_and_never_read_a_file(bundle: Path,
                                                                tmp_path: Path) -> None:
    (tmp_path / "Hague-3").write_text("not a policy\n")  # a built-in name is never a path
    proc = run_cli("verify", str(bundle), "--offline", "--policy", "Hague-3", "--json",
                   cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr  # offline: not presumed, but ran
    assert "policy" not in proc.stderr
    proc = run_cli("verify", str(bundle), "--offline", "--policy", "HAGUE-4", cwd=tmp_path)
    assert proc.returncode == 2 and "unknown policy 'hague-4'" in proc.stderr


def test_report_checks_options_before_the_passphrase(ws: Path, bundle: Path,
                                                     tmp_path: Path) -> None:
    env = {"EVIDENCE_PASSPHRASE": ""}  # no passphrase and no terminal: asking would fail
    cases = [
        (["--policy", "no-such-policy"], "unknown policy"),
        (["--at", "yesterday"], "--at 'yesterday'"),
        (["--timezone", "Mars/Olympus"], "Mars/Olympus"),
    ]
    for extra, message in cases:
        proc = run_cli("-w", str(ws), "report", str(bundle), "-o", str(tmp_path / "r.pdf"),
                       *extra, env=env)
        assert proc.returncode == 2 and message in proc.stderr, (extra, proc.stderr)
        assert "no passphrase" not in proc.stderr
    proc = run_cli("-w", str(ws), "report", str(bundle), "-o",
                   str(tmp_path / "missing" / "r.pdf"), env=env)
    assert proc.returncode == 2 and "output folder does not exist" in proc.stderr
    proc = run_cli("-w", str(ws), "report", str(tmp_path / "nothing"), "-o",
                   str(tmp_path / "r.pdf"), env=env)
    assert proc.returncode == 2 and "no such bundle" in proc.stderr
    assert not (tmp_path / "r.pdf").exists()


def _evidence() -> str:
    return str(Path(sys.executable).with_name("evidence"))


def _sigint_as_at_a_terminal() -> None:
    """In the child, before exec: SIGINT back to its default. A shell starts background jobs
    (``make test &``) with SIGINT ignored, children inherit that, and Python then installs
    no KeyboardInterrupt handler: Ctrl-C would be tested on a process that cannot get it."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_exits_130_and_leaves_nothing(ws: Path, tmp_path: Path) -> None:
    big = tmp_path / "src" / "big.bin"
    big.parent.mkdir()
    with big.open("wb") as fh:  # sparse: no disk, but every byte is read and hashed
        fh.truncate(4 << 30)
    out = tmp_path / "out" / "bundle"
    out.parent.mkdir()
    env = {**os.environ, "EVIDENCE_PASSPHRASE": PASSPHRASE}
    proc = subprocess.Popen([_evidence(), "-w", str(ws), "capture", str(big.parent),
                             "--case", "C", "-o", str(out)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=_sigint_as_at_a_terminal)
    deadline = time.monotonic() + 60
    while not any(out.parent.iterdir()):  # the temporary folder: the copy has begun
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert stderr.strip().endswith("aborted; nothing was written")
    assert list(out.parent.iterdir()) == []  # no bundle, no temporary folder


def _pty_run(args: list[str], answers: list[str | None]) -> tuple[int, str]:
    """Run ``evidence`` with a terminal on stdin and stderr; type each answer after the
    passphrase prompt (None: press Ctrl-C instead). Returns the exit code and what the
    terminal showed."""
    env = {k: v for k, v in os.environ.items() if k != "EVIDENCE_PASSPHRASE"}
    master, slave = pty.openpty()
    proc = subprocess.Popen([_evidence(), *args], stdin=slave, stderr=slave,
                            stdout=subprocess.PIPE, env=env, start_new_session=True,
                            preexec_fn=_sigint_as_at_a_terminal)
    os.close(slave)
    shown = b""
    pending = list(answers)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            shown += chunk
            if pending and shown.count(b"passphrase:") > len(answers) - len(pending):
                answer = pending.pop(0)
                if answer is None:
                    proc.send_signal(signal.SIGINT)
                else:
                    os.write(master, answer.encode() + b"\n")
        elif proc.poll() is not None:
            break
    proc.wait(timeout=60)
    os.close(master)
    assert proc.stdout is not None
    proc.stdout.close()
    return proc.returncode, shown.decode(errors="replace")


def test_progress_on_a_terminal_quiet_silences_it_debug_names_it(bundle: Path,
                                                                 tmp_path: Path) -> None:
    rc, shown = _pty_run(["report", str(bundle), "-o", str(tmp_path / "a.html"), "--offline"],
                         [])
    assert rc == 0 and "checking" in shown and "writing the html report" in shown, shown
    rc, shown = _pty_run(["-q", "report", str(bundle), "-o", str(tmp_path / "b.html"),
                          "--offline"], [])
    assert rc == 0 and "checking" not in shown and "writing the" not in shown, shown
    # a script's stderr (no terminal) keeps an error to its one line: no progress there
    piped = run_cli("report", str(bundle), "-o", str(tmp_path / "c.html"), "--offline",
                    "--json")
    assert piped.returncode == 0 and piped.stderr == "", piped.stderr
    assert json.loads(piped.stdout)["format"] == "html"  # progress never on stdout
    debug = run_cli("--debug", "verify", str(bundle), "--offline")
    assert "INFO evidence.verification.verifier: checking" in debug.stderr


def test_three_passphrase_tries_at_a_terminal(ws: Path, bundle: Path, tmp_path: Path) -> None:
    args = ["-w", str(ws), "disclose", str(bundle), "--item", "F-1", "-o"]
    rc, shown = _pty_run([*args, str(tmp_path / "d1")], ["wrong", "also wrong", PASSPHRASE])
    assert rc == 0, shown
    assert shown.count("wrong passphrase; try again") == 2 and (tmp_path / "d1").is_dir()
    rc, shown = _pty_run([*args, str(tmp_path / "d2")], ["one", "two", "three"])
    assert rc == 2 and shown.count("Key passphrase:") == 3, shown
    assert "wrong passphrase" in shown.splitlines()[-1] and not (tmp_path / "d2").exists()


def test_report_pdf_asks_again_while_its_libraries_load(ws: Path, bundle: Path,
                                                        tmp_path: Path) -> None:
    # The key unlocks on another thread while the PDF libraries load (issue 17): the
    # retries, the signed report and the refusal after three tries are unchanged.
    out = tmp_path / "r.pdf"
    rc, shown = _pty_run(["-w", str(ws), "report", str(bundle), "-o", str(out), "--offline"],
                         ["wrong", PASSPHRASE])
    assert rc == 0 and shown.count("wrong passphrase; try again") == 1, shown
    assert out.read_bytes().startswith(b"%PDF") and b"/ByteRange" in out.read_bytes()
    rc, shown = _pty_run(["-w", str(ws), "report", str(bundle), "-o",
                          str(tmp_path / "r2.pdf"), "--offline"], ["one", "two", "three"])
    assert rc == 2 and shown.count("Key passphrase:") == 3, shown
    assert "wrong passphrase" in shown.splitlines()[-1]
    assert not (tmp_path / "r2.pdf").exists()


def test_passphrase_from_the_environment_is_tried_once(ws: Path, bundle: Path,
                                                       tmp_path: Path) -> None:
    proc = run_cli("-w", str(ws), "disclose", str(bundle), "--item", "F-1", "-o",
                   str(tmp_path / "d"), env={"EVIDENCE_PASSPHRASE": "nope"})
    assert proc.returncode == 2 and "try again" not in proc.stderr
    assert "wrong passphrase" in proc.stderr


def test_inputs_are_checked_before_the_passphrase(ws: Path, bundle: Path,
                                                  tmp_path: Path) -> None:
    env = {"EVIDENCE_PASSPHRASE": ""}  # no passphrase and no terminal: asking would fail
    taken = tmp_path / "taken"
    taken.mkdir()
    nothing = tmp_path / "nothing"
    cases = [
        (["capture", str(EXAMPLES / "screenshots"), "--case", "C", "-o", str(taken)],
         "exists already"),
        (["capture", str(nothing), "--case", "C", "-o", str(tmp_path / "b")],
         "no such file or folder"),
        (["capture", str(EXAMPLES / "screenshots"), "--case", "C", "-o",
          str(nothing / "b")], "output folder does not exist"),
        (["disclose", str(bundle), "--item", "F-1", "-o", str(taken)], "exists already"),
        (["disclose", str(nothing), "--item", "F-1", "-o", str(tmp_path / "d")],
         "no such bundle"),
        (["anchor", str(nothing)], "no such bundle"),
        (["timestamp", str(nothing), "--tsa", "http://127.0.0.1:9/"], "no such bundle"),
    ]
    for args, message in cases:
        proc = run_cli("-w", str(ws), *args, env=env)
        assert proc.returncode == 2 and message in proc.stderr, (args, proc.stderr)
        assert "no passphrase" not in proc.stderr, args
    assert not (tmp_path / "b").exists() and not (tmp_path / "d").exists()


def test_a_wrong_witness_passphrase_is_one_the_prompt_asks_again_for(tmp_path: Path) -> None:
    """Witness keystores say "wrong passphrase" with the error the three tries catch."""
    from evidence.chain.accounts import load_account
    from evidence.errors import WrongPassphraseError
    from evidence.witness.registry import generate_witness_key

    key = tmp_path / "w.json"
    generate_witness_key(key, PASSPHRASE, light_kdf=True)
    with pytest.raises(WrongPassphraseError, match="wrong passphrase"):
        load_account(key, "not it")


def test_capture_progress_bar_on_a_terminal_and_quiet_without(ws: Path, tmp_path: Path) -> None:
    args = ["-w", str(ws), "capture", str(EXAMPLES / "screenshots"), "--case", "C", "-o"]
    rc, shown = _pty_run([*args, str(tmp_path / "a")], [PASSPHRASE])
    assert rc == 0 and "capturing" in shown, shown
    rc, shown = _pty_run(["-q", *args, str(tmp_path / "b")], [PASSPHRASE])
    assert rc == 0 and "capturing" not in shown, shown


def test_ctrl_c_at_the_passphrase_prompt_exits_130(ws: Path, bundle: Path,
                                                  tmp_path: Path) -> None:
    rc, shown = _pty_run(["-w", str(ws), "disclose", str(bundle), "--item", "F-1", "-o",
                          str(tmp_path / "d")], [None])
    assert rc == 130 and shown.strip().endswith("aborted; nothing was written"), shown
    assert not (tmp_path / "d").exists()
