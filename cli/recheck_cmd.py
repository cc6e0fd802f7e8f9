"""``evidence recheck-script``: write out the standard-library re-check script.

Every report tells the court to run ``recheck.py BUNDLE``; a pip install has no docs/
folder, so the script ships inside the package and this command writes it out.
"""

from __future__ import annotations

from pathlib import Path

import click

from .common import emit_json


@click.command("recheck-script")
@click.option("-o", "--out", type=click.Path(path_type=Path), default=Path("recheck.py"),
              show_default=True,
              help="File to write (new), or a folder to write recheck.py into.")
@click.option("--json", "as_json", is_flag=True, help="Print the written path as JSON.")
def recheck_script(out: Path, as_json: bool) -> int:
    """Write the re-check script (Python standard library only) that reports cite."""
    from evidence.shipped import write_recheck_script

    written = write_recheck_script(out)
    if as_json:
        emit_json({"script": str(written)})
        return 0
    click.echo(f"wrote {written}; run it with: python3 {written} BUNDLE [-v]")
    return 0
