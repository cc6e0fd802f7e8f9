"""The workspace's anchor lock (evidence/anchorlock.py): a second holder waits, is told
once, and gets the lock when the first lets go (or gives up at its deadline)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from evidence.anchorlock import anchor_lock
from evidence.errors import ChainError

#: The second holder, in another process (flock locks are per open file, so a second
#: process is the honest test): prints when it waits and when it holds the lock.
_OTHER = """
import sys
from pathlib import Path
from evidence.anchorlock import anchor_lock
with anchor_lock(Path(sys.argv[1]), on_wait=lambda m: print("WAIT", m, flush=True)):
    print("HELD", flush=True)
"""


def test_a_second_process_waits_with_a_message_until_the_lock_is_free(tmp_path: Path) -> None:
    with anchor_lock(tmp_path):
        other = subprocess.Popen([sys.executable, "-c", _OTHER, str(tmp_path)],
                                 stdout=subprocess.PIPE, text=True)
        assert other.stdout is not None
        first = other.stdout.readline()
        assert first.startswith("WAIT another `evidence anchor` is running in"), first
        time.sleep(0.3)
        assert other.poll() is None  # still waiting while this process holds the lock
    out, _ = other.communicate(timeout=30)
    assert out == "HELD\n" and other.returncode == 0


def test_a_free_lock_is_taken_without_a_word_and_a_deadline_gives_up(tmp_path: Path) -> None:
    told: list[str] = []
    with anchor_lock(tmp_path, on_wait=told.append):
        pass
    assert told == []
    other = subprocess.Popen([sys.executable, "-c", "import sys,time,fcntl,os;"
                              "fd=os.open(sys.argv[1],os.O_RDWR);fcntl.flock(fd,fcntl.LOCK_EX);"
                              "print('x',flush=True);time.sleep(30)",
                              str(tmp_path / "locks" / "anchor.lock")],
                             stdout=subprocess.PIPE, text=True)
    try:
        assert other.stdout is not None and other.stdout.readline() == "x\n"
        with pytest.raises(ChainError, match=r"still holds the lock after 0\.3 s"), \
                anchor_lock(tmp_path, on_wait=told.append, timeout_s=0.3):
            pass
        assert len(told) == 1
    finally:
        other.kill()
        other.wait()
