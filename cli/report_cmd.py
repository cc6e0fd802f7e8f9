"""``evidence report``: write a verification report; ``evidence report check``: check one.

Usage::

    evidence report BUNDLE -o report.pdf [--format json|html|pdf] [--lang en|zh|en+zh]
                    [--policy NAME|FILE] [--cert FILE.p12] [--offline] [--timezone ZONE]
    evidence report BUNDLE --chain URL [--trust FILE] -o report.pdf   (a court, no workspace)
    evidence report check FILE [--bundle BUNDLE] [--json]
    evidence report-check FILE [--bundle BUNDLE] [--json]      (the same)

``report BUNDLE`` is short for ``report make BUNDLE``: the group falls back to ``make`` when
its first argument is not a subcommand. Without a workspace (no ``-w``), the report is the
verifying party's own: no passphrase is asked, it says it was prepared by the verifying
party, and it is unsigned unless ``--cert`` names the court's certificate (PDF only).
Writing a report exits 0 whatever the verdict (the
verdict is in the report and printed); ``check`` exits 0 when the report checks out, 1 when
it does not, 2 for bad input. Listed in :data:`evidence_cli.main.COMMANDS`.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from .common import Context, emit_json, unlock

__all__ = ["report", "report_check"]

#: Environment variable holding the passphrase of a ``--cert`` PKCS#12 file (default: the
#: workspace passphrase).
CERT_PASSPHRASE_ENV = "EVIDENCE_CERT_PASSPHRASE"


class _DefaultGroup(click.Group):
    """A group that runs ``make`` when its first argument is not a subcommand name."""

    default_command = "make"

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)


@click.group(cls=_DefaultGroup)
def report() -> None:
    """Write a verification report (JSON, HTML or PDF) of a bundle, or check one.

    \b
    evidence report BUNDLE -o report.pdf     (short for: evidence report make ...)
    evidence report check report.pdf --bundle BUNDLE
    """


@report.command("make")
@click.argument("bundle", type=click.Path(path_type=Path))
@click.option("-o", "--out", required=True, type=click.Path(path_type=Path),
              help="The report file to write (.json, .html or .pdf; never overwritten).")
@click.option("--format", "fmt", type=click.Choice(["json", "html", "pdf"]),
              help="Format (default: from the extension of --out).")
@click.option("--lang", type=click.Choice(["en", "zh", "en+zh"]), default="en+zh",
              show_default=True, help="Language(s) of the report.")
@click.option("--policy", help="Policy name or TOML file, as in `evidence verify`.")
@click.option("--cert", type=click.Path(path_type=Path, dir_okay=False),
              help="Sign the PDF with this PKCS#12 certificate (passphrase from "
              f"{CERT_PASSPHRASE_ENV}, else the workspace passphrase).")
@click.option("--offline", is_flag=True, help="Do not ask the chain (never presumed authentic).")
@click.option("--chain", "chain_urls", metavar="URL", multiple=True,
              help="A JSON-RPC node to ask, as in `evidence verify` (repeatable).")
@click.option("--trust", type=click.Path(path_type=Path), metavar="FILE",
              help="Your trust profile, as in `evidence verify` (else EVIDENCE_TRUST, else "
                   "~/.config/evidence/trust.toml).")
@click.option("--trust-key", "trust_keys", metavar="FINGERPRINT|FILE", multiple=True,
              help="A publisher key the trust profile must be signed with (repeatable).")
@click.option("--report-id", help="Report identifier (default: RPT-date-random).")
@click.option("--at", "at", metavar="UTC",
              help="Fix the report and verification time (YYYY-MM-DDTHH:MM:SSZ; else "
                   "SOURCE_DATE_EPOCH): the same bundle and chain state give byte-identical "
                   "JSON and HTML.")
@click.option("--all-items", is_flag=True,
              help="List every item in full (default: the first 200 items; the rest are "
                   "counted, every export is still named).")
@click.option("--timezone", "timezone", metavar="ZONE",
              help="Also show page one's times in this IANA time zone (e.g. Asia/Shanghai).")
@click.option("-w", "--workspace", "workspace", type=click.Path(path_type=Path, file_okay=False),
              help="The workspace: its chain is read and its key signs (also accepted "
                   "before the command).")
@click.option("--json", "as_json", is_flag=True,
              help="Print what was written (path, format, digest, verdict) as JSON.")
@click.pass_obj
def make(obj: Context, bundle: Path, out: Path, fmt: str | None, lang: str,
         policy: str | None, cert: Path | None, offline: bool, chain_urls: tuple[str, ...],
         trust: Path | None, trust_keys: tuple[str, ...], report_id: str | None,
         at: str | None, all_items: bool, timezone: str | None,
         workspace: Path | None, as_json: bool) -> int:
    """Verify BUNDLE and write its report to --out.

    Without a workspace the report is the verifying party's own: unsigned, or (PDF) signed
    with the certificate --cert names.
    """
    from evidence.errors import InputError
    from evidence.policy.load import DEFAULT_POLICY, load_policy
    from evidence.report import ReportSigner, build_report, report_format, write_report
    from evidence.report.model import fixed_time, reproducible_report_id, zone
    from evidence.verification.verifier import verify

    # Every option and input is checked before any passphrase is asked for.
    kind = report_format(out, fmt)
    if out.exists():
        raise InputError(f"{out}: exists already; a report is never overwritten")
    if not out.parent.is_dir():
        raise InputError(f"{out.parent}: output folder does not exist")
    if cert is not None and kind != "pdf":
        raise InputError("--cert signs PDF reports only")
    if not bundle.exists():
        raise InputError(f"{bundle}: no such bundle or disclosure package")
    load_policy(policy or DEFAULT_POLICY)
    fixed = fixed_time(at, os.environ.get("SOURCE_DATE_EPOCH"))
    if timezone is not None:
        zone(timezone)
    if workspace is not None:
        obj.workspace_path = workspace
    signer = None
    prepared_by, preparer_key = "verifying-party", None
    if obj.workspace_path is not None:
        from evidence.keys import fingerprint, public_key_from_file

        prepared_by = "workspace"
        ws = obj.workspace()
        preparer_key = fingerprint(public_key_from_file(ws.path(ws.capturer_key)))
        if kind in ("json", "pdf"):
            cert_secret = os.environ.get(CERT_PASSPHRASE_ENV) if cert is not None else None

            def open_signer(secret: str) -> ReportSigner:
                return ReportSigner.from_workspace(ws, secret, cert=cert,
                                                   cert_passphrase=cert_secret)

            # Three tries at a terminal; while the key unlocks (scrypt, on another thread),
            # the PDF libraries and fonts load here.
            _secret, signer = unlock(open_signer,
                                     meanwhile=_prepare_pdf if kind == "pdf" else None)
    elif cert is not None:
        cert_secret = os.environ.get(CERT_PASSPHRASE_ENV)
        if not cert_secret:
            raise InputError(f"--cert without a workspace: set {CERT_PASSPHRASE_ENV} to the "
                             "certificate's passphrase")
        signer = ReportSigner.from_pkcs12(cert, cert_secret)
    result = verify(bundle, offline=offline, policy=policy or DEFAULT_POLICY,
                    chain_url=chain_urls or None, workspace=obj.workspace_path, trust=trust,
                    publisher_keys=trust_keys)
    now, time_source = None, "clock"
    if fixed is not None:
        import dataclasses

        now, time_source = fixed
        result = dataclasses.replace(result, verified_at=now)
        report_id = report_id or reproducible_report_id(now, result.root)
    built = build_report(result, bundle=bundle, lang=lang, report_id=report_id, now=now,
                         timezone=timezone, prepared_by=prepared_by, preparer_key=preparer_key,
                         time_source=time_source, all_items=all_items)
    path = write_report(built, out, fmt=kind, signer=signer)
    signed_json = kind == "json" and signer is not None and signer.key is not None
    if as_json:
        emit_json({"report": str(path), "format": kind, "lang": lang,
                   "signature": f"{path}.sig" if signed_json else None,
                   "signed": signer is not None and kind != "html",
                   "prepared_by": prepared_by, "verdict": result.verdict.value,
                   "statement": result.statement(), "digest": built.digest})
        return 0
    click.echo(f"report written: {path} ({kind}, {lang})")
    if kind == "json" and signer is not None and signer.key is not None:
        click.echo(f"signature: {path}.sig")
    elif signer is None and kind != "html":
        click.echo("unsigned: prepared by the verifying party (no workspace)")
    click.echo(f"verdict: {result.statement()}")
    click.echo(f"report digest: {built.digest}")
    return 0


def _prepare_pdf() -> None:
    from evidence.report.pdf import prepare_pdf  # not imported for JSON and HTML reports

    prepare_pdf()


def _check(file: Path, bundle: Path | None, as_json: bool) -> int:
    from evidence.report import check_report

    outcome = check_report(file, bundle=bundle)
    if as_json:
        emit_json(outcome.to_json())
    else:
        click.echo(f"{'OK' if outcome.ok else 'FAILED'}: {outcome.path} ({outcome.format})")
        if outcome.report_id:
            click.echo(f"report: {outcome.report_id}  digest: {outcome.report_digest}")
        if outcome.signer:
            click.echo(f"signer: {outcome.signer}")
        if outcome.signer_subject:
            click.echo(f"signer certificate subject: {outcome.signer_subject}")
        if outcome.signer_key:
            click.echo(f"signer key fingerprint: {outcome.signer_key}")
        if outcome.signer_is_capturer is not None:
            click.echo("signer is the bundle's capturer: "
                       f"{'yes' if outcome.signer_is_capturer else 'NO'}")
        if outcome.prepared_by:
            click.echo(f"prepared by (as the report says): {outcome.prepared_by}")
        if outcome.verdict:
            click.echo(f"verdict stated in the report: {outcome.verdict}")
        for line in outcome.checks:
            click.echo(f"  ok: {line}")
        for line in outcome.problems:
            click.echo(f"  problem: {line}")
    return 0 if outcome.ok else 1


_FILE = click.argument("file", type=click.Path(path_type=Path))
_BUNDLE = click.option("--bundle", type=click.Path(path_type=Path),
                       help="Also check that the report describes this bundle.")
_JSON = click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")


@report.command("check")
@_FILE
@_BUNDLE
@_JSON
def check(file: Path, bundle: Path | None, as_json: bool) -> int:
    """Check a JSON or PDF report's signature (and, with --bundle, that it matches).

    Exit 0 when it checks out, 1 when it does not, 2 for bad input.
    """
    return _check(file, bundle, as_json)


@click.command("report-check")
@_FILE
@_BUNDLE
@_JSON
def report_check(file: Path, bundle: Path | None, as_json: bool) -> int:
    """Check a JSON or PDF report (same as `evidence report check`)."""
    return _check(file, bundle, as_json)
