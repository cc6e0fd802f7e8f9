"""The report model: everything a JSON, HTML or PDF report shows, built from one result.

What: :func:`build_report` turns a :class:`~evidence.result.VerificationResult` (what
``evidence verify`` returns) into a frozen :class:`Report`: verdict and policy rules in plain
words, items with both digests, records as field tables, capture provenance, the anchor and
its registrar, the verifier's trust profile (or that none was given) and the chain as read,
witnesses, findings, custody log, legal notes and the re-check commands, in English, Chinese
or both. The bundle folder is read only for screenshot thumbnails; nothing else is
recomputed, so the report says exactly what the verification said (docs/architecture.md step 7).

Why a model: the three formats render the same object, and the JSON form
(:meth:`Report.to_json`, schema ``evidence/schemas/report.schema.json``) is what is signed;
its RFC 8785 digest (:attr:`Report.digest`) is printed in the HTML and PDF, so a paper copy
can be matched to the signed JSON.

Failures: an unknown language raises :class:`~evidence.errors.InputError`; an unreadable
screenshot is simply shown without a thumbnail.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evidence.bundle.custody import utc_now
from evidence.bundle.exports import export_dialects, file_line, sheet_rows
from evidence.errors import InputError
from evidence.jurisdictions import (
    ART39_CAVEAT,
    DATE_STATUSES,
    country_name,
    date_status_text,
    is_iso2,
)
from evidence.result import AnchorInfo, ItemStatus, VerificationResult
from evidence.standards.jcs import canonicalize
from evidence.version import TOOL_NAME, __version__

from . import legal, rechecks
from .items import ReportItem
from .phrases_zh import phrase_zh
from .text import (
    CUSTODY_ACTIONS,
    DEMONSTRATION_NOTE,
    REASONS,
    RULE_STATUS,
    RULES,
    SEVERITIES,
    TEXT,
    VERDICTS,
    languages,
    pick,
)
from .timestamps import TEXT as TIMESTAMP_TEXT
from .timestamps import TimestampRow
from .timestamps import rows as timestamp_rows
from .web import WebSection, build_web

__all__ = [
    "MAX_ITEMS_LISTED",
    "MAX_THUMBNAILS",
    "REPORT_SCHEMA_VERSION",
    "AnchorSection",
    "ChainSection",
    "CustodyRow",
    "FindingRow",
    "PolicySection",
    "ProvenanceSection",
    "Report",
    "ReportItem",
    "RuleResult",
    "Texts",
    "Thumbnail",
    "TrustSection",
    "VerdictSection",
    "WitnessRow",
    "build_report",
]

#: Version of the report JSON format (``evidence/schemas/report.schema.json``).
REPORT_SCHEMA_VERSION = "1.2"

#: Items listed in full (digests, fields, re-check commands). A bundle of thousands of items
#: would give a PDF of hundreds of pages nobody reads; the rest are summarised with a count
#: and the command that lists them, and remain covered by the root and docs/recheck.py.
MAX_ITEMS_LISTED = 200

#: Screenshots shown as thumbnails: enough for any chat or listing capture, and bounds the
#: size of the HTML (images are inlined) and the PDF.
MAX_THUMBNAILS = 24

#: Longest side of a thumbnail, in pixels: readable at print size (about 8 cm at 150 dpi).
THUMBNAIL_PIXELS = 480

#: A screenshot shown in full is embedded as captured up to this size (bytes)...
MAX_FULL_IMAGE_BYTES = 4 * 1024 * 1024

#: ...else re-encoded as PNG with at most this many pixels a side (still readable on A4).
FULL_IMAGE_PIXELS = 2400

#: Images larger than this (pixels) are not decoded for a thumbnail: a guard against
#: decompression bombs in captured files.
MAX_IMAGE_PIXELS = 64_000_000

#: Folder of export files in a bundle, and of the records files made from them.
EXPORTS_DIR = "data/exports/"
RECORDS_DIR = "data/records/"

#: Text in each requested language, e.g. ``{"en": "...", "zh": "..."}``.
Texts = dict[str, str]


def _utc(ts: int | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class VerdictSection:
    """The verdict code, its short title and its plain-words explanation."""

    code: str
    title: Texts
    explanation: Texts

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "title": self.title, "explanation": self.explanation}


@dataclass(frozen=True)
class RuleResult:
    """One policy rule as the policy evaluation found it.

    ``message`` is the evaluation's own English sentence (kept verbatim); ``explanation``
    holds the same fact in each report language.
    """

    code: str
    severity: str
    held: bool
    title: Texts
    status: Texts
    message: str
    explanation: Texts

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "severity": self.severity, "held": self.held,
                "title": self.title, "status": self.status, "message": self.message,
                "explanation": self.explanation}


@dataclass(frozen=True)
class PolicySection:
    """The policy applied: its name, file digest, rules in words and results."""

    name: str
    sha256: str | None
    satisfied: bool
    counted_jurisdictions: tuple[str, ...]
    description: dict[str, tuple[str, ...]]
    rules: tuple[RuleResult, ...]

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "sha256": self.sha256, "satisfied": self.satisfied,
                "counted_jurisdictions": list(self.counted_jurisdictions),
                "description": {k: list(v) for k, v in self.description.items()},
                "rules": [r.to_json() for r in self.rules]}


@dataclass(frozen=True)
class ProvenanceSection:
    """Who captured, when, with what, from where (as the capturer recorded it)."""

    case: str | None
    platform: str | None
    source_url: str | None
    note: str | None
    captured_at: str | None
    clock_source: str | None
    tool: str | None
    capturer_fingerprint: str | None
    capturer_public_key: str | None
    other: tuple[tuple[str, str], ...]
    #: The capturer's name and organisation as declared at capture (statements, unverified).
    capturer_name: str | None = None
    capturer_organisation: str | None = None
    #: The capture environment as recorded by the capture tool (os, machine, python).
    environment: tuple[tuple[str, str], ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"capturer_name": self.capturer_name,
                "capturer_organisation": self.capturer_organisation,
                "environment": dict(self.environment), "case": self.case,
                "platform": self.platform, "source_url": self.source_url,
                "note": self.note, "captured_at": self.captured_at,
                "clock_source": self.clock_source, "tool": self.tool,
                "capturer_fingerprint": self.capturer_fingerprint,
                "capturer_public_key": self.capturer_public_key,
                "other": {k: v for k, v in self.other}}


@dataclass(frozen=True)
class AnchorSection:
    """The anchor as verified (with the contract's registrar at the anchor's block, from
    :class:`~evidence.result.AnchorInfo`), its block time in UTC and the development
    warning (under a demonstration profile, a note that the verdict is a demonstration)."""

    info: AnchorInfo
    block_time_utc: str
    warning: Texts | None

    def to_json(self) -> dict[str, Any]:
        return {**self.info.to_json(), "block_time_utc": self.block_time_utc,
                "warning": self.warning}


@dataclass(frozen=True)
class TrustSection:
    """The verifier's trust profile as the verification used it (its summary,
    :meth:`evidence.trust.model.TrustProfile.summary`): what every report names."""

    name: str
    version: int
    source: str
    sha256: str
    publisher: str | None
    signed_by: str | None
    publisher_key_pinned: bool
    expires: str | None
    demonstration: bool

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "source": self.source,
                "sha256": self.sha256, "publisher": self.publisher,
                "signed_by": self.signed_by, "publisher_key_pinned": self.publisher_key_pinned,
                "expires": self.expires, "demonstration": self.demonstration}


@dataclass(frozen=True)
class ChainSection:
    """The chain as the verification read it: id, genesis hash computed from block 0, the
    nodes asked and the software they report, whether the trust profile pins it, and what
    marks it a development chain by its own signs."""

    chain_id: int
    description: str
    genesis_hash: str
    nodes: tuple[str, ...]
    client_versions: tuple[str, ...]
    pinned: bool
    pinned_name: str | None
    development_signs: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"chain_id": self.chain_id, "description": self.description,
                "genesis_hash": self.genesis_hash, "nodes": list(self.nodes),
                "client_versions": list(self.client_versions), "pinned": self.pinned,
                "pinned_name": self.pinned_name,
                "development_signs": list(self.development_signs)}

    def node_rows(self) -> list[tuple[str, str]]:
        """Each node asked with the software it reports ("—" when it reported none)."""
        versions = list(self.client_versions)
        return [(node, versions[n] if n < len(versions) and versions[n] else "—")
                for n, node in enumerate(self.nodes)]


@dataclass(frozen=True)
class WitnessRow:
    """One witness confirmation and how the policy judged it.

    ``operator`` and ``jurisdiction`` are the ones counted: the trust profile's when
    ``operator_source`` is ``"profile"`` (with its stable ``operator_id``), else the
    registry's; ``registry_operator`` and ``registry_jurisdiction`` are the registry's own
    labels, shown beside them when they differ.
    """

    address: str
    operator: str
    jurisdiction: str
    jurisdiction_name: Texts
    hague_party: bool
    in_force_date: str | None
    #: The party list's standing of ``in_force_date``: verified, secondary, computed,
    #: unknown, or None (the list does not say), in the report's languages.
    in_force_date_status: str | None
    in_force_date_status_text: Texts
    party_source: str
    confirmed_at: int | None
    confirmed_at_utc: str | None
    observed_at_utc: str | None
    counted: bool
    reason_code: str
    reason: str
    reason_text: Texts
    operator_id: str | None
    operator_source: str
    registry_operator: str
    registry_jurisdiction: str
    revoked_at_utc: str | None
    revocation_issued_at_utc: str | None
    notes: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"address": self.address, "operator": self.operator,
                "operator_id": self.operator_id, "operator_source": self.operator_source,
                "registry_operator": self.registry_operator,
                "jurisdiction": self.jurisdiction, "jurisdiction_name": self.jurisdiction_name,
                "registry_jurisdiction": self.registry_jurisdiction,
                "hague_party": self.hague_party, "in_force_date": self.in_force_date,
                "in_force_date_status": self.in_force_date_status,
                "in_force_date_status_text": self.in_force_date_status_text,
                "party_source": self.party_source, "confirmed_at": self.confirmed_at,
                "confirmed_at_utc": self.confirmed_at_utc,
                "observed_at_utc": self.observed_at_utc,
                "revoked_at_utc": self.revoked_at_utc,
                "revocation_issued_at_utc": self.revocation_issued_at_utc,
                "counted": self.counted, "reason_code": self.reason_code,
                "reason": self.reason, "reason_text": self.reason_text,
                "notes": list(self.notes)}

    @property
    def registry_label_differs(self) -> bool:
        """The registry labels the operator otherwise than the name counted."""
        return bool(self.registry_operator) and self.registry_operator != self.operator

    @property
    def registry_jurisdiction_differs(self) -> bool:
        """The registry labels the jurisdiction otherwise than the one counted."""
        return bool(self.registry_jurisdiction) and self.registry_jurisdiction != self.jurisdiction


@dataclass(frozen=True)
class FindingRow:
    """One finding of the verification, verbatim, with its severity in words."""

    code: str
    severity: str
    severity_text: Texts
    message: str
    subject: str | None

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "severity": self.severity,
                "severity_text": self.severity_text, "message": self.message,
                "subject": self.subject}


@dataclass(frozen=True)
class CustodyRow:
    """One custody log entry."""

    seq: int
    action: str
    action_text: Texts
    at: str
    actor: str
    details: str
    prev: str

    def to_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "action": self.action, "action_text": self.action_text,
                "at": self.at, "actor": self.actor, "details": self.details, "prev": self.prev}


@dataclass(frozen=True)
class ExportRow:
    """One export (a records file) of the bundle and how many records it gave: listed for
    every export, even when its records are beyond :data:`MAX_ITEMS_LISTED`."""

    item: str
    name: str
    path: str
    records: int
    #: How capture read it, as the signed provenance records it (format, encoding, and for
    #: CSV delimiter and quotechar); empty for bundles made before it was recorded.
    dialect: tuple[tuple[str, str], ...] = ()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"item": self.item, "name": self.name, "path": self.path,
                               "records": self.records}
        if self.dialect:
            out["read_as"] = dict(self.dialect)
        return out

    @property
    def read_as(self) -> str:
        """The dialect for people: ``csv, utf-8, delimiter ';', quote '"'``."""
        d = dict(self.dialect)
        parts = [d[k] for k in ("format", "encoding") if k in d]
        if "delimiter" in d:
            parts.append(f"delimiter {'tab' if d['delimiter'] == chr(9) else repr(d['delimiter'])}")
        if "quotechar" in d:
            parts.append(f"quote {d['quotechar']!r}")
        return ", ".join(parts)


@dataclass(frozen=True)
class Thumbnail:
    """A PNG thumbnail of a screenshot item and the screenshot in full (HTML and PDF only;
    not in the JSON). ``full`` is the verified original bytes (PNG or JPEG up to
    :data:`MAX_FULL_IMAGE_BYTES`), else a PNG of at most :data:`FULL_IMAGE_PIXELS` a side."""

    item_id: str
    name: str
    png: bytes
    width: int
    height: int
    full: bytes = field(default=b"", repr=False)
    full_media_type: str = "image/png"
    full_width: int = 0
    full_height: int = 0


@dataclass(frozen=True)
class Report:
    """Everything every report format shows (see the module docstring)."""

    report_id: str
    generated_at: str
    lang: str
    tool: str
    bundle_name: str
    package: str
    case: str | None
    root: str | None
    leaf_count: int | None
    signer: str | None
    verified_at: str
    offline: bool
    development_chain: bool | None
    demonstration: bool
    trust: TrustSection | None
    chain: ChainSection | None
    verdict: VerdictSection
    policy: PolicySection | None
    items_total: int
    files_total: int
    records_total: int
    items: tuple[ReportItem, ...]
    items_limit: int
    provenance: ProvenanceSection
    anchor: AnchorSection | None
    witnesses: tuple[WitnessRow, ...]
    findings: tuple[FindingRow, ...]
    custody: tuple[CustodyRow, ...]
    legal_notes: dict[str, tuple[str, ...]]
    recheck: rechecks.Recheck
    thumbnails: tuple[Thumbnail, ...] = field(default=(), compare=False, repr=False)
    #: The RFC 3161 tokens as verified (evidence.report.timestamps).
    timestamps: tuple[TimestampRow, ...] = ()
    #: Pages and environment of a web capture (``evidence capture-web``), else None.
    web: WebSection | None = None
    exports: tuple[ExportRow, ...] = ()
    images_total: int = 0
    #: IANA time zone in which page one also shows times (UTC stays authoritative).
    timezone: str | None = None
    #: Who prepared the report: ``"verifying-party"`` (no workspace: the court or its
    #: expert, verifying under its own trust) or ``"workspace"`` (with a workspace's key,
    #: ``preparer_key`` its fingerprint).
    prepared_by: str = "workspace"
    preparer_key: str | None = None
    #: Where ``generated_at`` and ``verified_at`` come from: ``"clock"``, or the fixed time of
    #: a reproducible run (``"SOURCE_DATE_EPOCH"`` or ``"--at"``).
    time_source: str = "clock"

    @property
    def langs(self) -> tuple[str, ...]:
        return languages(self.lang)

    @property
    def items_not_listed(self) -> int:
        return self.items_total - len(self.items)

    def to_json(self) -> dict[str, Any]:
        """The report as a JSON object (schema ``evidence-report``, thumbnails left out)."""
        return {
            "schema": "evidence-report",
            "schema_version": REPORT_SCHEMA_VERSION,
            "report_id": self.report_id,
            "generated_at": self.generated_at,
            "lang": self.lang,
            "timezone": self.timezone,
            "prepared_by": {"party": self.prepared_by, "key": self.preparer_key},
            "time_source": self.time_source,
            "tool": self.tool,
            "bundle": {
                "name": self.bundle_name, "package": self.package, "case": self.case,
                "root": self.root, "leaf_count": self.leaf_count, "signer": self.signer,
            },
            "verification": {"verified_at": self.verified_at, "offline": self.offline,
                             "development_chain": self.development_chain,
                             "demonstration": self.demonstration},
            "trust": None if self.trust is None else self.trust.to_json(),
            "chain": None if self.chain is None else self.chain.to_json(),
            "verdict": self.verdict.to_json(),
            "policy": None if self.policy is None else self.policy.to_json(),
            "items": {
                "total": self.items_total, "files": self.files_total,
                "records": self.records_total, "listed": len(self.items),
                "not_listed": self.items_not_listed, "limit": self.items_limit,
                "images": self.images_total,
                "exports": [e.to_json() for e in self.exports],
                "list": [i.to_json() for i in self.items],
            },
            "provenance": self.provenance.to_json(),
            "anchor": None if self.anchor is None else self.anchor.to_json(),
            "witnesses": [w.to_json() for w in self.witnesses],
            "findings": [f.to_json() for f in self.findings],
            "custody": [c.to_json() for c in self.custody],
            "legal_notes": {k: list(v) for k, v in self.legal_notes.items()},
            "recheck": self.recheck.to_json(),
            "timestamps": [t.to_json() for t in self.timestamps],
            **({} if self.web is None else {"web": self.web.to_json()}),
        }

    def canonical_bytes(self) -> bytes:
        """The RFC 8785 encoding of :meth:`to_json`: the bytes that are signed."""
        return canonicalize(self.to_json())

    @property
    def digest(self) -> str:
        """``sha256:`` + hex SHA-256 of :meth:`canonical_bytes` (shown in every format)."""
        return "sha256:" + hashlib.sha256(self.canonical_bytes()).hexdigest()

    def text(self, key: str) -> Texts:
        """A fixed label in the report's languages."""
        return pick(TEXT[key] if key in TEXT else TIMESTAMP_TEXT[key], self.langs)


# --------------------------------------------------------------------------- building


def new_report_id(now: str) -> str:
    """``RPT-YYYYMMDD-`` + 8 random hex digits: unique enough, and sortable by date."""
    return f"RPT-{now[:10].replace('-', '')}-{secrets.token_hex(4).upper()}"


def reproducible_report_id(now: str, root: str | None) -> str:
    """``RPT-YYYYMMDD-`` + 8 hex digits of SHA-256(root, time): the same for the same
    bundle and fixed time, so a reproducible run needs no ``--report-id``."""
    seed = hashlib.sha256(f"{root or ''}|{now}".encode()).hexdigest()[:8].upper()
    return f"RPT-{now[:10].replace('-', '')}-{seed}"


def fixed_time(at: str | None, source_date_epoch: str | None) -> tuple[str, str] | None:
    """The fixed time of a reproducible run and where it came from: ``at``
    (``YYYY-MM-DDTHH:MM:SSZ``) first, else ``source_date_epoch`` (seconds since 1970, the
    reproducible-builds.org convention); None when neither is given. InputError if bad."""
    if at:
        try:
            datetime.strptime(at, "%Y-%m-%dT%H:%M:%SZ")
        except ValueError as exc:
            raise InputError(f"--at {at!r}: use UTC as YYYY-MM-DDTHH:MM:SSZ") from exc
        return at, "--at"
    if source_date_epoch:
        try:
            seconds = int(source_date_epoch)
        except ValueError as exc:
            raise InputError(f"SOURCE_DATE_EPOCH {source_date_epoch!r}: not a whole number of "
                             "seconds") from exc
        return _utc(seconds) or "", "SOURCE_DATE_EPOCH"
    return None


def build_report(
    result: VerificationResult,
    *,
    bundle: Path,
    lang: str = "en+zh",
    report_id: str | None = None,
    now: str | None = None,
    timezone: str | None = None,
    prepared_by: str = "workspace",
    preparer_key: str | None = None,
    time_source: str = "clock",
    all_items: bool = False,
) -> Report:
    """Build the report of ``result`` (see the module docstring).

    ``bundle`` is the folder the result was verified from (read for thumbnails only);
    ``now`` (UTC, ``YYYY-MM-DDTHH:MM:SSZ``) and ``report_id`` are fixed for reproducible
    output; ``timezone`` (IANA name, e.g. ``Asia/Shanghai``) adds local times to page one;
    ``all_items`` lists every item in full instead of the first :data:`MAX_ITEMS_LISTED`.
    Raises InputError for an unknown ``lang`` or time zone.
    """
    langs = languages(lang)
    if timezone is not None:
        zone(timezone)
    generated = now or utc_now()
    prov = _provenance(result.provenance)
    bundle_name = Path(result.bundle).name or str(result.bundle)
    limit = max(len(result.items), 1) if all_items else MAX_ITEMS_LISTED
    everything = result.items
    listed = _with_sheet_rows(
        tuple(_item(i, prov.captured_at) for i in everything[:limit]), Path(bundle), everything,
        export_dialects(result.provenance))
    policy = _policy(result, langs)
    anchor = None
    if result.anchor is not None:
        a = result.anchor
        # Under a demonstration profile the verdict says it; the anchor notes the chain only.
        warning = ("dev_note_demo" if result.demonstration else "dev_warning"
                   ) if a.development_chain else None
        anchor = AnchorSection(a, _utc(a.block_time) or "",
                               None if warning is None else pick(TEXT[warning], langs))
    return Report(
        report_id=report_id or new_report_id(generated),
        generated_at=generated,
        lang=lang,
        tool=f"{TOOL_NAME} {__version__}",
        bundle_name=bundle_name,
        package=result.package,
        case=prov.case,
        root=result.root,
        leaf_count=result.leaf_count,
        signer=result.signer,
        verified_at=result.verified_at,
        offline=result.offline,
        development_chain=result.development_chain,
        demonstration=result.demonstration,
        trust=_trust(result.trust),
        chain=_chain(result.chain),
        verdict=_verdict(result, langs),
        policy=policy,
        items_total=len(everything),
        files_total=sum(1 for i in everything if i.kind == "file"),
        records_total=sum(1 for i in everything if i.kind == "record"),
        items=listed,
        items_limit=limit,
        provenance=prov,
        anchor=anchor,
        witnesses=tuple(_witness(w, langs) for w in result.witnesses),
        findings=tuple(
            FindingRow(f.code, f.severity.value, pick(SEVERITIES[f.severity.value], langs),
                       f.message, f.subject)
            for f in result.findings
        ),
        custody=tuple(_custody(c, langs) for c in result.custody),
        legal_notes=legal.notes(langs),
        recheck=rechecks.build(bundle_name=bundle_name, items=listed, root=result.root,
                               leaf_count=result.leaf_count, anchor=result.anchor,
                               langs=langs, items_total=len(everything)),
        thumbnails=_thumbnails(Path(bundle), listed),
        timestamps=timestamp_rows(result.timestamps, langs, result.demonstration),
        web=build_web(result.provenance, everything, Path(bundle), langs),
        exports=_exports(everything, export_dialects(result.provenance)),
        images_total=sum(1 for i in everything
                         if i.kind == "file" and i.media_type.startswith("image/")),
        timezone=timezone,
        prepared_by=prepared_by,
        preparer_key=preparer_key,
        time_source=time_source,
    )


def _with_sheet_rows(listed: tuple[ReportItem, ...], bundle: Path,
                     everything: Sequence[ItemStatus],
                     dialects: Mapping[str, Mapping[str, str]]) -> tuple[ReportItem, ...]:
    """``listed`` with the spreadsheet row of each CSV record whose export is intact."""
    from dataclasses import replace

    exports = {Path(i.path).name: i for i in everything
               if i.kind == "file" and i.path.startswith(EXPORTS_DIR) and i.status == "ok"}
    maps: dict[str, dict[int, int]] = {}
    out = []
    for item in listed:
        export = exports.get(item.source_name or "")
        locator = item.locator or ""
        if item.kind == "record" and export is not None and locator.startswith("row "):
            if export.path not in maps:
                path = bundle / export.path
                try:
                    intact = hashlib.sha256(path.read_bytes()).hexdigest() == export.sha256
                except OSError:
                    intact = False
                maps[export.path] = sheet_rows(path, dialects.get(export.path)
                                               ) if intact else {}
            line = file_line(locator)
            row = maps[export.path].get(line) if line is not None else None
            if row is not None:
                item = replace(item, sheet_row=row)
        out.append(item)
    return tuple(out)


def zone(name: str) -> Any:
    """The :class:`zoneinfo.ZoneInfo` named ``name``; InputError for an unknown name."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InputError(f"unknown time zone {name!r}: use an IANA name such as "
                         "Asia/Shanghai or Europe/Berlin") from exc


def _exports(items: Sequence[ItemStatus],
             dialects: Mapping[str, Mapping[str, str]]) -> tuple[ExportRow, ...]:
    """Every export file with the number of records it gave (records files are named after
    their export: ``data/records/NAME.jsonl``)."""
    counts: dict[str, int] = {}
    for i in items:
        if i.kind == "record":
            counts[i.path] = counts.get(i.path, 0) + 1
    out = []
    for i in items:
        if i.kind != "file" or not i.path.startswith(EXPORTS_DIR):
            continue
        records_path = f"{RECORDS_DIR}{Path(i.path).name}.jsonl"
        out.append(ExportRow(i.id, i.name, i.path, counts.get(records_path, 0),
                             tuple(sorted(dialects.get(i.path, {}).items()))))
    return tuple(out)


def _str_or_none(value: object) -> str | None:
    return None if value is None else str(value)


def _trust(t: Mapping[str, Any] | None) -> TrustSection | None:
    if not t:
        return None
    version = t.get("version")
    return TrustSection(
        name=str(t.get("name", "")),
        version=version if isinstance(version, int) else 1,
        source=str(t.get("source", "")),
        sha256=str(t.get("sha256", "")),
        publisher=_str_or_none(t.get("publisher")),
        signed_by=_str_or_none(t.get("signed_by")),
        publisher_key_pinned=bool(t.get("publisher_key_pinned", False)),
        expires=_str_or_none(t.get("expires")),
        demonstration=bool(t.get("demonstration", False)),
    )


def _chain(c: Mapping[str, Any] | None) -> ChainSection | None:
    if not c:
        return None
    chain_id = c.get("chain_id")

    def strings(key: str) -> tuple[str, ...]:
        value = c.get(key)
        return tuple(str(v) for v in value) if isinstance(value, list | tuple) else ()

    return ChainSection(
        chain_id=chain_id if isinstance(chain_id, int) else 0,
        description=str(c.get("description", "")),
        genesis_hash=str(c.get("genesis_hash", "")),
        nodes=strings("nodes"),
        client_versions=strings("client_versions"),
        pinned=bool(c.get("pinned", False)),
        pinned_name=_str_or_none(c.get("pinned_name")),
        development_signs=strings("development_signs"),
    )


def _provenance(p: Mapping[str, Any]) -> ProvenanceSection:
    tool = p.get("tool")
    tool_text = (f"{tool.get('name', '?')} {tool.get('version', '?')}"
                 if isinstance(tool, dict) else _str_or_none(tool))
    raw_capturer = p.get("capturer")
    capturer: Mapping[str, Any] = raw_capturer if isinstance(raw_capturer, dict) else {}
    known = {"version", "case", "platform", "source_url", "note", "captured_at",
             "clock_source", "tool", "capturer", "web",  # web: its own section
             "exports",  # with each export (ExportRow)
             "environment"}
    raw_env = p.get("environment")
    environment = tuple((str(k), str(v)) for k, v in sorted(raw_env.items())
                        ) if isinstance(raw_env, dict) else ()
    other = tuple(
        (str(k), v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, sort_keys=True))
        for k, v in sorted(p.items()) if k not in known
    )
    return ProvenanceSection(
        case=_str_or_none(p.get("case")),
        platform=_str_or_none(p.get("platform")),
        source_url=_str_or_none(p.get("source_url")),
        note=_str_or_none(p.get("note")),
        captured_at=_str_or_none(p.get("captured_at")),
        clock_source=_str_or_none(p.get("clock_source")),
        tool=tool_text,
        capturer_fingerprint=_str_or_none(capturer.get("fingerprint")),
        capturer_public_key=_str_or_none(capturer.get("public_key")),
        other=other,
        capturer_name=_str_or_none(capturer.get("name")),
        capturer_organisation=_str_or_none(capturer.get("organisation")),
        environment=environment,
    )


def _item(i: ItemStatus, captured_at: str | None) -> ReportItem:
    details = i.fields
    image = details.get("image")
    size = None
    if isinstance(image, dict) and isinstance(image.get("width"), int) and isinstance(
            image.get("height"), int):
        size = (int(image["width"]), int(image["height"]))
    line = details.get("line")
    return ReportItem(
        id=i.id, kind=i.kind, name=i.name, path=i.path, size=i.size, sha256=i.sha256,
        sha512=i.sha512, media_type=i.media_type, status=i.status, message=i.message,
        captured_at=captured_at,
        record_line=line if i.kind == "record" and isinstance(line, int) else None,
        source_name=_str_or_none(details.get("source_name")) if i.kind == "record" else None,
        locator=_str_or_none(details.get("locator")) if i.kind == "record" else None,
        record=details.get("record") if i.kind == "record" else None,
        image=size,
    )


def _verdict_key(result: VerificationResult) -> str:
    """Which wording of :data:`~evidence.report.text.VERDICTS` states this verdict: under a
    demonstration profile a presumption is a demonstration, never a presumption; without a
    profile a verdict that is not presumed says none was given."""
    code = result.verdict.value
    if code == "presumed-authentic":
        if result.demonstration:
            return "demonstration"
        return code if result.trust else "presumed-authentic-no-trust"
    if code == "not-presumed" and not result.trust:
        return "not-presumed-no-trust"
    return code


def _verdict(result: VerificationResult, langs: tuple[str, ...]) -> VerdictSection:
    key = _verdict_key(result)
    title, explanation = VERDICTS[key]
    name = str((result.policy or {}).get("name") or "hague-3")
    profile = str((result.trust or {}).get("name") or "")
    explained = pick(explanation, langs)
    if result.demonstration and key != "demonstration":
        explained = {k: f"{v} {DEMONSTRATION_NOTE[0]}" if k == "en" else v + DEMONSTRATION_NOTE[1]
                     for k, v in explained.items()}
    return VerdictSection(
        result.verdict.value,
        {k: v.format(policy=name, profile=profile) for k, v in pick(title, langs).items()},
        {k: v.format(policy=name, profile=profile) for k, v in explained.items()},
    )


#: Which rule excludes a confirmation for each reason code (mirrors evidence.policy.evaluate's
#: ``_REASON_RULE``, the source of truth; a test keeps them equal).
_REASON_RULE = {
    "bad-jurisdiction": "policy-jurisdiction-codes",
    "bad-operator-name": "policy-witness-identity",
    "not-in-profile": "policy-witness-identity",
    "outside-profile-period": "policy-witness-identity",
    "unproven": "policy-witness-identity",
    "submitter": "policy-submitter",
    "no-operator": "policy-operators",
    "not-registered-yet": "policy-active",
    "registered-after-anchor": "policy-active",
    "disputed-revocation": "policy-disputed-revocation",
    "before-anchor": "policy-window",
    "outside-window": "policy-window",
    "clock-skew": "policy-skew",
    "not-hague-party": "policy-hague-party",
    "not-in-force-yet": "policy-in-force",
    "date-not-verified": "policy-in-force",
    "same-operator": "policy-operators",
    "same-jurisdiction": "policy-jurisdictions",
}

#: Why the verifier's trust allows no presumption (the reason evidence.verification.chain_checks
#: gives in
#: policy-outcome's English message), in Chinese with the same names and numbers.
_UNTRUSTED_ZH: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^no trust profile was given$"), "未提供信任配置"),
    (re.compile(r"^trust profile (\S+) does not pin chain id (\d+)$"),
     "信任配置 {0} 未固定链 ID {1}"),
    (re.compile(r"^the node serves a chain whose genesis hash differs from the one trust "
                r"profile (\S+) pins for chain id (\d+)$"),
     "节点所提供之链的创世区块哈希与信任配置 {0} 为链 ID {1} 所固定的不同"),
    (re.compile(r"^the trust profile asks for (\d+) agreeing nodes on chain (\d+), (\d+) "
                r"were given$"),
     "信任配置要求链 {1} 上有 {0} 个一致的节点，实际只给出 {2} 个"),
    (re.compile(r"^the anchor is on a development chain$"), "锚定位于开发链上"),
    (re.compile(r"^trust profile (\S+) does not pin the contract (\S+)$"),
     "信任配置 {0} 未固定合约 {1}"),
    (re.compile(r"^the contract's registrar (.+) is (\S+), not (\S+) as trust profile (\S+) "
                r"pins$"),
     "该合约的登记方为 {1}，而非信任配置 {3} 所固定的 {2}"),
)

_UTC_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")


def _reason_zh(code: str) -> str:
    """A reason code's Chinese words without the leading "未计入：" (for lists)."""
    return REASONS.get(code, (code, code))[1].removeprefix("未计入：")


def _outcome_zh(severity: str, message: str, name: str, result: VerificationResult) -> str:
    """The Chinese statement of policy-outcome: met (a presumption, or under a demonstration
    profile a demonstration), not met, or not met for want of the trust needed."""
    if severity == "ok" and (result.demonstration or "demonstration profile" in message):
        found = re.search(r"demonstration profile (\S+?):", message)
        profile = str((result.trust or {}).get("name") or (found.group(1) if found else ""))
        return (f"在演示配置 {profile} 下满足策略 {name}：这只是开发链上的演示，不具有证据价值；"
                "此处任何内容均不能在法院支持任何推定。")
    if severity == "ok":
        return (f"满足策略 {name}：证据完整时，依据该策略推定锚定后未经篡改（可反驳）；该策略是"
                "本项目所依据的论文提出的标准，并非海牙取证公约的规则；证据能否采纳及其证明力，"
                "由受理案件法院所适用的法律决定。")
    untrusted = re.search(r"under a trust the verifier chose: (.+?)\. \(Counted", message)
    if untrusted:
        why = "核验方的信任条件不满足（具体原因见以 trust- 开头的核验结果）"
        for pattern, words in _UNTRUSTED_ZH:
            hit = pattern.match(untrusted.group(1))
            if hit:
                why = words.format(*hit.groups())
                break
        would = ("可满足该策略" if "would meet" in message and "would not meet" not in message
                 else "也不满足该策略")
        return (f"在核验方所选的信任下不满足策略 {name}：{why}。（按登记合约自身的标签计算，"
                f"这些确认{would}；但标签可由采集方一方填写，不能作为证据。）")
    return (f"不满足策略 {name}：依据该策略不作推定（证据本身仍可能完整，见其他核验结果）。")


def _disputed_zh(witnesses: Sequence[Mapping[str, Any]]) -> str:
    """policy-disputed-revocation in Chinese: each withdrawn confirmation with its times."""
    parts = []
    for w in witnesses:
        if w.get("reason_code") != "disputed-revocation":
            continue
        confirmed, revoked, issued = (w.get("confirmed_at"), w.get("revoked_at"),
                                      w.get("revocation_issued_at"))
        when = (f"发出于 {_utc(issued)}" if isinstance(issued, int)
                else "在该确认之后发出（合约拒绝已撤销见证节点的确认）")
        parts.append(
            f"{w.get('address')}（{w.get('jurisdiction')}）确认于 "
            f"{_utc(confirmed) if isinstance(confirmed, int) else '—'}，登记方的撤销{when}，"
            f"其生效时间倒签至 {_utc(revoked) if isinstance(revoked, int) else '—'}")
    return (f"有 {len(parts)} 项确认因撤销生效时间被倒签至其之前而被撤回：{'；'.join(parts)}。"
            "原先依赖这些确认的推定不再成立；登记方的理由不在链上。")


def _in_force_zh(code: str, witnesses: Sequence[Mapping[str, Any]]) -> str:
    """One State's entry-into-force date and its status, in Chinese, from the witnesses."""
    for w in witnesses:
        if w.get("jurisdiction") == code:
            raw = w.get("in_force_date_status")
            known = next((s for s in DATE_STATUSES if s == raw), None)
            date = w.get("in_force_date")
            if date is None:
                return f"{code}（{date_status_text('unknown', 'zh')}）"
            return f"{code} {date}（{date_status_text(known, 'zh')}）"
    return code


def _party_list_zh(message: str) -> str:
    """policy-party-list in Chinese: the list used (its source, our phrase in Chinese, or
    the user's file as named), and the Art. 39 caveat in the words of the legal table."""
    used = message.removeprefix("Party list used: ")
    caveat = ""
    if ART39_CAVEAT in used:
        used = used.replace(ART39_CAVEAT, "")
        hague_39 = legal.statement("hague-39").text("zh")
        caveat = hague_39[:hague_39.index("。") + 1]  # its first sentence: the caveat
    used = used.strip().removesuffix(".")
    return f"所用缔约方名单：{phrase_zh(used) or used}。{caveat}"


def _rule_zh(code: str, severity: str, message: str, policy: Mapping[str, Any],
             result: VerificationResult) -> str:
    """The Chinese statement of one rule result, built from the same facts; for
    policy-in-force, with the note evidence.policy.evaluate appends to every form of its
    message (States counted whose entry-into-force date is not verified) whatever else
    it says (a "not checked" rule, or confirmations not counted)."""
    text = _rule_zh_body(code, severity, message, policy, result)
    unverified = re.search(r"Entry-into-force date unverified for ([A-Z]{2}(?:, [A-Z]{2})*)",
                           message)
    if code == "policy-in-force" and unverified and "按缔约国计入" not in text:
        said = "；".join(_in_force_zh(c, result.witnesses)
                        for c in unverified.group(1).split(", "))
        text += (f"以下国家按缔约国计入，其生效日期未经官方来源核实（本策略不要求经核实的"
                 f"日期）：{said}。")
    return text


def _rule_zh_body(code: str, severity: str, message: str, policy: Mapping[str, Any],
                  result: VerificationResult) -> str:
    """:func:`_rule_zh` but for the policy-in-force note."""
    witnesses = result.witnesses
    name = str(policy.get("name", ""))
    counted = [str(j) for j in policy.get("counted_jurisdictions") or []]
    listed = "、".join(counted) if counted else "无"
    excluded = [w for w in witnesses if _REASON_RULE.get(str(w.get("reason_code"))) == code]
    if message.startswith("Not checked"):
        return "本策略不检查此项。"
    if code == "policy-party-list":
        return _party_list_zh(message)
    if code == "policy-blocks-on-top":
        return ("锚定区块之上的区块数满足要求。" if severity == "ok"
                else "锚定区块之上的区块数不足要求，请稍后重新核验。")
    if code == "policy-jurisdictions":
        return (f"已计入 {len(counted)} 个不同法域（{listed}），满足最低数量要求。"
                if severity == "ok"
                else f"仅计入 {len(counted)} 个不同法域（{listed}），未达到最低数量要求。")
    if code == "policy-outcome":
        return _outcome_zh(severity, message, name, result)
    if code == "policy-capture-time" and "is not a UTC time" in message:
        return ("不满足：采集者签名的采集时间不是 UTC 时间（YYYY-MM-DDTHH:MM:SSZ），"
                "因此无法与锚定区块时间比对。")
    if code == "policy-capture-time":
        times = _UTC_RE.findall(message)
        skew = re.search(r"plus (\d+) s", message)
        captured, anchored = [*times, "—", "—"][:2]
        seconds = skew.group(1) if skew else "?"
        return (f"满足：采集者签名的采集时间 {captured} 不晚于锚定区块时间 {anchored}"
                f"（允许 {seconds} 秒时钟误差）。" if severity == "ok"
                else f"不满足：采集者签名的采集时间 {captured} 晚于锚定区块时间 {anchored} 加 "
                f"{seconds} 秒；采集不可能发生在其自身根哈希锚定之后，因此采集者的时钟或链上时间"
                "有误。")
    if code == "policy-disputed-revocation":
        return _disputed_zh(witnesses)
    if code == "policy-witness-identity":
        if severity == "ok":
            by_whom = "信任配置" if "by the trust profile" in message else "登记合约自身的标签"
            return f"每个作出确认的见证节点均已识别（依据{by_whom}），且有链上记录为据。"
        if excluded:
            who = "、".join(f"{w.get('address')}（{w.get('jurisdiction')}，"
                           f"{_reason_zh(str(w.get('reason_code')))}）" for w in excluded)
            return (f"共 {len(witnesses)} 项确认中有 {len(excluded)} 项因身份未能识别或没有链上"
                    f"记录为据而未被计入：{who}。")
    if severity == "ok":
        return "满足：没有确认因该规则被排除。"
    unverified = re.search(r"unverified for ([A-Z]{2}(?:, [A-Z]{2})*)", message)
    if code == "policy-in-force" and unverified and not excluded:
        codes = unverified.group(1).split(", ")
        said = "；".join(_in_force_zh(c, witnesses) for c in codes)
        return f"满足；以下国家按缔约国计入，其生效日期未经官方来源核实：{said}。"
    if excluded:
        who = "、".join(f"{w.get('address')}（{w.get('jurisdiction')}）" for w in excluded)
        return f"共 {len(witnesses)} 项确认中有 {len(excluded)} 项因该规则未被计入：{who}。"
    if severity == "info":
        return "满足；附有说明（所涉确认见“见证节点确认”一节）。"
    return "不满足该规则（所涉确认见“见证节点确认”一节）。"


def _policy(result: VerificationResult, langs: tuple[str, ...]) -> PolicySection | None:
    p = result.policy
    if p is None:
        return None
    rules = []
    for f in result.findings:
        if not f.code.startswith("policy-"):
            continue
        sev = f.severity.value
        title = RULES.get(f.code, (f.code, f.code))
        explanation: Texts = {}
        for lang in langs:
            explanation[lang] = f.message if lang == "en" else _rule_zh(
                f.code, sev, f.message, p, result)
        rules.append(RuleResult(
            code=f.code, severity=sev, held=sev in ("ok", "info"),
            title=pick(title, langs), status=pick(RULE_STATUS.get(sev, (sev, sev)), langs),
            message=f.message, explanation=explanation,
        ))
    description: dict[str, tuple[str, ...]] = {}
    for lang in langs:
        key = "description" if lang == "en" else "description_zh"
        value = p.get(key)
        if isinstance(value, str):
            description[lang] = (value,)
        elif isinstance(value, list | tuple):
            description[lang] = tuple(str(v) for v in value)
        else:
            description[lang] = ()
    return PolicySection(
        name=str(p.get("name", "")),
        sha256=_str_or_none(p.get("sha256")),
        satisfied=bool(p.get("satisfied", False)),
        counted_jurisdictions=tuple(str(j) for j in p.get("counted_jurisdictions") or ()),
        description=description,
        rules=tuple(rules),
    )


def _jurisdiction_names(code: str, langs: tuple[str, ...]) -> Texts:
    out: Texts = {}
    for lang in langs:
        try:
            out[lang] = country_name(code, lang) if is_iso2(code) else code
        except Exception:  # an unknown code is shown as given
            out[lang] = code
    return out


def _date_status_texts(status: str | None, langs: tuple[str, ...]) -> Texts:
    """The status of an entry-into-force date in the report's languages."""
    known = next((s for s in DATE_STATUSES if s == status), None)
    return {lang: date_status_text(known, lang) for lang in langs}


def _witness(w: Mapping[str, Any], langs: tuple[str, ...]) -> WitnessRow:
    code = str(w.get("reason_code", ""))
    confirmed = w.get("confirmed_at")
    observed = w.get("observed_at")
    jur = str(w.get("jurisdiction", ""))
    in_force = w.get("in_force_date")
    revoked = w.get("revoked_at")
    issued = w.get("revocation_issued_at")
    notes = w.get("notes")
    operator = str(w.get("operator", ""))
    raw_status = w.get("in_force_date_status")
    status = str(raw_status) if raw_status in DATE_STATUSES else None
    if status is None and in_force is None and w.get("hague_party"):
        status = "unknown"
    return WitnessRow(
        address=str(w.get("address", "")),
        operator=operator,
        jurisdiction=jur,
        jurisdiction_name=_jurisdiction_names(jur, langs),
        hague_party=bool(w.get("hague_party", False)),
        in_force_date=None if in_force is None else str(in_force),
        in_force_date_status=status,
        in_force_date_status_text=_date_status_texts(status, langs),
        party_source=str(w.get("party_source", "")),
        confirmed_at=confirmed if isinstance(confirmed, int) else None,
        confirmed_at_utc=_utc(confirmed) if isinstance(confirmed, int) else None,
        observed_at_utc=_utc(observed) if isinstance(observed, int) else None,
        counted=bool(w.get("counted", False)),
        reason_code=code,
        reason=str(w.get("reason", "")),
        reason_text=pick(REASONS.get(code, (code, code)), langs),
        operator_id=_str_or_none(w.get("operator_id")),
        operator_source=str(w.get("operator_source") or "registry"),
        registry_operator=str(w.get("registry_operator", operator)),
        registry_jurisdiction=str(w.get("registry_jurisdiction", jur)),
        revoked_at_utc=_utc(revoked) if isinstance(revoked, int) else None,
        revocation_issued_at_utc=_utc(issued) if isinstance(issued, int) else None,
        notes=tuple(str(n) for n in notes) if isinstance(notes, list | tuple) else (),
    )


def _custody(c: Mapping[str, Any], langs: tuple[str, ...]) -> CustodyRow:
    action = str(c.get("action", ""))
    actor = c.get("actor")
    actor_fp = str(actor.get("fingerprint", "")) if isinstance(actor, dict) else str(actor or "")
    seq = c.get("seq")
    return CustodyRow(
        seq=seq if isinstance(seq, int) else -1,
        action=action,
        action_text=pick(CUSTODY_ACTIONS.get(action, (action, action)), langs),
        at=str(c.get("at", "")),
        actor=actor_fp,
        details=json.dumps(c.get("details", {}), ensure_ascii=False, sort_keys=True),
        prev=str(c.get("prev", "")),
    )


def _thumbnails(bundle: Path, items: Sequence[ReportItem]) -> tuple[Thumbnail, ...]:
    """PNG thumbnails of intact image items, read from the bundle (at most MAX_THUMBNAILS)."""
    from PIL import Image, UnidentifiedImageError

    out: list[Thumbnail] = []
    for item in items:
        if len(out) >= MAX_THUMBNAILS:
            break
        if item.kind != "file" or not item.media_type.startswith("image/") or item.status != "ok":
            continue
        path = bundle / item.path
        try:
            data = path.read_bytes()
            if hashlib.sha256(data).hexdigest() != item.sha256:
                continue  # never show a picture that is not the verified one
            with Image.open(io.BytesIO(data)) as img:
                if img.width * img.height > MAX_IMAGE_PIXELS:
                    continue
                full_size = (img.width, img.height)
                kind = img.format
                mode = "RGBA" if img.mode in ("RGBA", "LA", "P") else "RGB"
                if kind in ("PNG", "JPEG") and len(data) <= MAX_FULL_IMAGE_BYTES:
                    full, full_type = data, f"image/{kind.lower()}"
                else:
                    big = img.convert(mode)
                    big.thumbnail((FULL_IMAGE_PIXELS, FULL_IMAGE_PIXELS))
                    fbuf = io.BytesIO()
                    big.save(fbuf, format="PNG")
                    full, full_type, full_size = fbuf.getvalue(), "image/png", big.size
                # PNGs at zlib's default level, not optimize=True: that took five times as
                # long (0.1-0.2 s a screenshot) for 5 % fewer bytes, and the PDF writer
                # decodes the pixels and compresses them again anyway.
                img.thumbnail((THUMBNAIL_PIXELS, THUMBNAIL_PIXELS))
                shown = img.convert(mode)
                buf = io.BytesIO()
                shown.save(buf, format="PNG")
                out.append(Thumbnail(item.id, item.name, buf.getvalue(), shown.width,
                                     shown.height, full, full_type, *full_size))
        except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError):
            continue
    return tuple(out)
