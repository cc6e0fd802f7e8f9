"""The report laid out as a list of simple blocks, rendered alike by HTML and PDF.

What: :func:`document` turns a :class:`~evidence.report.model.Report` into headings,
paragraphs, key-value lists, tables, code blocks, bullet lists and thumbnails, with the
report's languages already chosen (labels as "English / 中文" for ``en+zh``, paragraphs once
per language).

Why: the HTML and the PDF must show the same content in the same order; laying it out once
keeps them from drifting apart. Renderers only decide looks.

A verification under a demonstration trust profile is said once, in the verdict box itself
(its title is the demonstration statement, in amber, never green); the red development-chain
box above the summary is only for a development chain verified without a demonstration
profile, whose verdict is not presumed anyway.
"""

from __future__ import annotations

from .blocks import (
    Block,
    Bullets,
    Code,
    Columns,
    FullImage,
    Heading,
    Images,
    KeyValue,
    PageBreak,
    Para,
    Table,
)
from .model import Report, Texts
from .phrases_zh import shown as own_phrase
from .text import pick
from .web import WEB_TEXT

__all__ = ["Block", "Bullets", "Code", "Columns", "FullImage", "Heading", "Images", "KeyValue",
           "PageBreak", "Para", "Table", "document"]




def _j(texts: Texts) -> str:
    """One label from its languages: "English / 中文"."""
    return " / ".join(dict.fromkeys(texts.values()))


def _lines(texts: Texts) -> str:
    """One cell from its languages, one per line."""
    return "\n".join(dict.fromkeys(texts.values()))


class _Doc:
    def __init__(self, report: Report):
        self.r = report
        self.blocks: list[Block] = []

    def t(self, key: str) -> str:
        return _j(self.r.text(key))

    def own(self, text: str) -> str:
        """A phrase our own code wrote into the result, in the report's languages."""
        return own_phrase(text, self.r.langs)

    def yes_no(self, value: bool | None) -> str:
        if value is None:
            return "—"
        return self.t("yes" if value else "no")

    def h(self, key: str, anchor: str, level: int = 2) -> None:
        self.blocks.append(Heading(level, self.t(key), anchor))

    def paras(self, texts: Texts, style: str = "body") -> None:
        for text in texts.values():
            self.blocks.append(Para(text, style))


def document(report: Report) -> list[Block]:
    """Lay out ``report`` (see the module docstring)."""
    d = _Doc(report)
    r = report
    from .pageone import page_one

    d.blocks.append(Heading(1, d.t("title"), "top"))
    # Page one answers the judge; its verdict statement says any development chain or
    # demonstration itself, so no separate warning box stands beside it.
    d.blocks.extend(page_one(r))
    _summary(d)
    _verdict(d)
    _web(d)
    _items(d)
    _provenance(d)
    _environment(d)
    _anchor(d)
    _trust(d)
    _witnesses(d)
    _findings(d)
    _timestamps(d)
    _custody(d)
    _full_images(d)
    d.h("sec_legal", "legal")
    for notes in r.legal_notes.values():
        d.blocks.append(Bullets(notes))
    _recheck(d)
    return d.blocks


def _summary(d: _Doc) -> None:
    r = d.r
    p = r.provenance
    d.h("sec_summary", "summary")
    rows: list[tuple[str, str, bool]] = [
        (d.t("report_id"), r.report_id, False),
        (d.t("generated_at"), r.generated_at if r.time_source == "clock"
         else f"{r.generated_at} ({r.time_source})", False),
        (d.t("tool"), r.tool, False),
        (d.t("report_digest"), r.digest, True),
        (d.t("case"), r.case or "—", False),
        # what the capturer said, labelled as such: not findings of the verification
        (f"{d.t('platform')} ({d.t('capturer_statement')})", p.platform or "—", False),
        (f"{d.t('source_url')} ({d.t('capturer_statement')})", p.source_url or "—", True),
    ]
    if p.note:
        rows.append((f"{d.t('note')} ({d.t('capturer_statement')})", p.note, False))
    for key, value in p.other:
        rows.append((f"{key} ({d.t('as_captured')})", value, False))
    rows += [
        (d.t("bundle_name"), r.bundle_name, False),
        (d.t("package"), d.t("package_disclosure" if r.package == "disclosure"
                             else "package_bundle"), False),
        (d.t("root"), r.root or "—", True),
        (d.t("leaf_count"), "—" if r.leaf_count is None else str(r.leaf_count), False),
        (d.t("verified_at"), r.verified_at, False),
        (d.t("offline"), d.yes_no(r.offline), False),
    ]
    d.blocks.append(KeyValue(tuple(rows)))


def _verdict(d: _Doc) -> None:
    r = d.r
    d.h("sec_verdict", "verdict")
    d.blocks.append(Para(_j(r.verdict.title), "strong"))
    d.paras(r.verdict.explanation)
    pol = r.policy
    if pol is None:
        d.paras(r.text("no_policy"), "note")
        return
    d.h("sec_rules", "rules", 3)
    rows = tuple((_j(rule.title) + f"\n{rule.code}", _j(rule.status), _lines(rule.explanation))
                 for rule in pol.rules)
    flags = tuple("" if rule.held else "bad" for rule in pol.rules)
    d.blocks.append(Table((d.t("rule"), d.t("status"), d.t("why")), rows, (3, 2, 8),
                          flags=flags))
    d.h("sec_policy", "policy", 3)
    d.blocks.append(KeyValue((
        (d.t("policy_name"), pol.name, False),
        (d.t("policy_sha256"), pol.sha256 or "—", True),
        (d.t("policy_satisfied"), d.yes_no(pol.satisfied), False),
        (d.t("counted_jurisdictions"), ", ".join(pol.counted_jurisdictions) or "—", False),
    )))
    for lines in pol.description.values():
        if lines:
            d.blocks.append(Bullets(lines))


def _items(d: _Doc) -> None:
    r = d.r
    d.h("sec_items", "items")
    total = (f"{d.t('items_total')}: {r.items_total} ({r.files_total} "
             f"{d.t('items_files')}, {r.records_total} {d.t('items_records')})")
    d.blocks.append(Para(total))
    rows = []
    flags = []
    for i in r.items:
        kind = d.t("kind_file" if i.kind == "file" else "kind_record")
        desc = [i.name, i.path, f"{kind} · {i.media_type}",
                f"{d.t('size')}: {i.size:,}", f"{d.t('captured_at')}: {i.captured_at or '—'}"]
        if i.image is not None:
            desc.append(f"{i.image[0]} × {i.image[1]} px")
        status = i.status if not i.message else f"{i.status}: {i.message}"
        rows.append((i.id, "\n".join(desc), f"SHA-256 {i.sha256}\nSHA-512 {i.sha512}", status))
        flags.append("" if i.status == "ok" else "bad")
    d.blocks.append(Table(
        (d.t("item_id"), d.t("name"), f"{d.t('sha256')} / {d.t('sha512')}", d.t("item_status")),
        tuple(rows), (2, 6, 9, 2), mono=frozenset({2}), flags=tuple(flags)))
    if r.items_not_listed:
        for text in r.text("items_not_listed").values():
            d.blocks.append(Para(text.format(n=r.items_not_listed, limit=r.items_limit,
                                             bundle=r.bundle_name), "note"))
    records = [i for i in r.items if i.kind == "record"]
    if records:
        d.h("sec_records", "records", 3)
        by_source: dict[str, list[tuple[str, ...]]] = {}
        for i in records:
            fields = " · ".join(f"{k}: {v}" for k, v in i.field_rows())
            if isinstance(i.record, dict) and len(i.record) > len(i.field_rows()):
                fields += " " + d.t("record_more_fields")
            where = i.locator or ""
            if where.startswith("row ") and where[4:].isdigit():
                where = f"{d.t('file_line')} {where[4:]}"
                if i.sheet_row is not None:
                    where += f"\n{d.t('sheet_row')} {i.sheet_row}"
            by_source.setdefault(i.source_name or i.path, []).append((i.id, where, fields))
        for source, rows_ in by_source.items():
            d.blocks.append(Para(source, "small"))
            d.blocks.append(Table((d.t("item_id"), d.t("where_in_file"), d.t("fields")),
                                  tuple(rows_), (2, 3, 11)))
    if r.thumbnails:
        d.h("sec_thumbs", "thumbnails", 3)
        d.blocks.append(Images(tuple((t, f"{t.item_id} · {t.name}") for t in r.thumbnails)))


def _full_images(d: _Doc) -> None:
    """Each screenshot in full, on a page of its own (the thumbnails stay in the items)."""
    shown = [t for t in d.r.thumbnails if t.full]
    if not shown:
        return
    for n, t in enumerate(shown):
        d.blocks.append(PageBreak())
        if n == 0:
            d.h("sec_full_images", "screenshots")
        d.blocks.append(FullImage(t, f"{t.item_id} · {t.name} · {t.full_width} × "
                                     f"{t.full_height} px"))
    d.blocks.append(PageBreak())


def _provenance(d: _Doc) -> None:
    p = d.r.provenance
    d.h("sec_provenance", "provenance")
    d.blocks.append(KeyValue((
        (d.t("capturer"), p.capturer_fingerprint or "—", True),
        (d.t("capturer_key"), p.capturer_public_key or "—", True),
        (d.t("capture_time"), p.captured_at or "—", False),
        (d.t("clock_source"), d.own(p.clock_source or "—"), False),
        (d.t("capture_tool"), p.tool or "—", False),
        (d.t("platform"), p.platform or "—", False),
        (d.t("source_url"), p.source_url or "—", True),
    )))
    d.paras(d.r.text("provenance_caveat"), "note")


def _environment(d: _Doc) -> None:
    """The capture environment in a section of its own: tool, OS, machine, time source."""
    p = d.r.provenance
    env = dict(p.environment)
    missing = d.t("env_not_recorded")
    d.h("sec_environment", "environment")
    d.blocks.append(KeyValue((
        (d.t("capture_tool"), p.tool or "—", False),
        (d.t("env_os"), env.get("os") or missing, False),
        (d.t("env_machine"), env.get("machine") or missing, False),
        (d.t("env_python"), env.get("python") or missing, False),
        (d.t("clock_source"), d.own(p.clock_source or "—"), False),
    )))
    d.paras(d.r.text("env_caveat"), "note")


def _anchor(d: _Doc) -> None:
    a = d.r.anchor
    d.h("sec_anchor", "anchor")
    if a is None:
        d.paras(d.r.text("no_anchor"), "note")
        return
    if a.warning is not None:
        # Under a demonstration profile the verdict box already says it: a note, not a red box.
        d.paras(a.warning, "note" if d.r.demonstration else "warning")
    i = a.info
    d.blocks.append(KeyValue((
        (d.t("chain"), d.own(i.chain_description), False),
        (d.t("chain_id"), str(i.chain_id), False),
        (d.t("contract"), i.contract, True),
        (d.t("registrar"), i.registrar or "—", True),
        (d.t("transaction"), i.transaction, True),
        (d.t("block_number"), str(i.block_number), False),
        (d.t("block_hash"), i.block_hash, True),
        (d.t("block_time"), f"{a.block_time_utc} ({i.block_time})", False),
        (d.t("batch_root"), i.batch_root, True),
        (d.t("batch_position"), f"{i.batch_index} / {i.batch_size}", False),
        (d.t("submitter"), i.submitter or "—", True),
        (d.t("checked_on_chain"), d.yes_no(i.checked_on_chain), False),
    )))


def _trust(d: _Doc) -> None:
    """The verifier's trust profile (or that none was given) and the chain as read."""
    r = d.r
    d.h("sec_trust", "trust")
    t = r.trust
    if t is None:
        d.paras(r.text("no_trust"))
    else:
        signed = t.signed_by or d.t("trust_unsigned")
        d.blocks.append(KeyValue((
            (d.t("trust_name"), t.name, False),
            (d.t("trust_source"), t.source, True),
            (d.t("trust_sha256"), t.sha256, True),
            (d.t("trust_publisher"), t.publisher or "—", False),
            (d.t("trust_signed_by"), signed, t.signed_by is not None),
            (d.t("trust_key_pinned"),
             d.yes_no(t.publisher_key_pinned) if t.signed_by else "—", False),
            (d.t("trust_expires"), t.expires or "—", False),
            (d.t("trust_demonstration"), d.yes_no(t.demonstration), False),
        )))
        if t.demonstration:
            d.paras(r.text("trust_demo_note"), "note")
    d.h("sec_chain_read", "chain", 3)
    c = r.chain
    if c is None:
        d.paras(r.text("chain_not_read"), "note")
        return
    pinned = d.yes_no(c.pinned) + (f" ({c.pinned_name})" if c.pinned and c.pinned_name else "")
    d.blocks.append(KeyValue((
        (d.t("chain_id"), str(c.chain_id), False),
        (d.t("chain"), d.own(c.description), False),
        (d.t("genesis_hash"), c.genesis_hash, True),
        (d.t("chain_nodes"), "\n".join(f"{node} · {software}"
                                        for node, software in c.node_rows()) or "—", True),
        (d.t("chain_pinned"), pinned, False),
        (d.t("development_signs"), "\n".join(d.own(s) for s in c.development_signs)
         or d.t("none"), False),
    )))


def _witnesses(d: _Doc) -> None:
    r = d.r
    d.h("sec_witnesses", "witnesses")
    if not r.witnesses:
        d.paras(r.text("no_witnesses"), "note")
        return
    rows = []
    flags = []
    for w in r.witnesses:
        if w.hague_party:
            status = _j(w.in_force_date_status_text)
            party = (f"{d.t('yes')}, {d.t('in_force')} {w.in_force_date} ({status})"
                     if w.in_force_date else f"{d.t('yes')} ({status})")
        else:
            party = d.t("no")
        party += f"\n{d.t('party_source')}: {d.own(w.party_source)}"
        # the verifier's English detail; a Chinese-only report has the rule's own words
        detail = not w.counted and "en" in r.langs
        counted = _j(w.reason_text) + (f"\n{w.reason}" if detail else "")
        who = [w.operator]
        if w.operator_source == "profile" and w.operator_id:
            who.append(f"{d.t('operator_id')}: {w.operator_id}")
        if w.registry_label_differs:
            who.append(f"{d.t('registry_label')}: {w.registry_operator}")
        who.append(w.address)
        where = f"{_j(w.jurisdiction_name)} ({w.jurisdiction})"
        if w.registry_jurisdiction_differs:
            where += f"\n{d.t('registry_label')}: {w.registry_jurisdiction}"
        rows.append(("\n".join(who), where,
                     party, w.confirmed_at_utc or "—", counted))
        flags.append("good" if w.counted else "")
    d.blocks.append(Table(
        (f"{d.t('witness_operator')}\n{d.t('witness_address')}", d.t("jurisdiction"),
         d.t("hague_party"), d.t("confirmed_at"), d.t("counted")),
        tuple(rows), (5, 3, 5, 3, 5), flags=tuple(flags)))


def _findings(d: _Doc) -> None:
    r = d.r
    d.h("sec_findings", "findings")
    from .findings_zh import finding_zh

    rules_zh = {rule.code: rule.explanation.get("zh", "")
                for rule in (r.policy.rules if r.policy is not None else ())}

    def said(code: str, message: str) -> str:
        texts = {"en": message, "zh": rules_zh.get(code) or finding_zh(code, message)}
        return "\n".join(dict.fromkeys(texts[lang] for lang in r.langs))

    rows = tuple((_j(f.severity_text), f.code, said(f.code, f.message), d.own(f.subject or ""))
                 for f in r.findings)
    flags = tuple("bad" if f.severity in ("error", "warning", "unknown") else ""
                  for f in r.findings)
    d.blocks.append(Table((d.t("severity"), d.t("code"), d.t("message"), d.t("subject")),
                          rows, (2, 3, 9, 3), flags=flags))


def _custody(d: _Doc) -> None:
    r = d.r
    d.h("sec_custody", "custody")
    if not r.custody:
        d.paras(r.text("no_custody"), "note")
        return
    rows = tuple((str(c.seq), _j(c.action_text), c.at, c.actor, c.details) for c in r.custody)
    d.blocks.append(Table((d.t("seq"), d.t("action"), d.t("at"), d.t("actor"), d.t("details")),
                          rows, (1, 3, 4, 5, 8), mono=frozenset({3})))


def _timestamps(d: _Doc) -> None:
    """RFC 3161 tokens (evidence.report.timestamps), with the block time beside them."""
    r = d.r
    d.h("sec_timestamps", "timestamps")
    if not r.timestamps:
        d.paras(r.text("no_timestamps"), "note")
        return
    d.paras(r.text("timestamps_intro"), "note")
    # Five columns, so that A4 keeps every one: qualified goes with the TSA, the policy OID
    # with the serial number.
    rows = tuple((t.gen_time or "—", f"{t.tsa}; {d.t('ts_qualified')}: {d.yes_no(t.qualified)}",
                  f"{t.serial or '—'}; {t.policy or '—'}", _j(t.status_text), t.file)
                 for t in r.timestamps)
    flags = tuple("" if t.status == "trusted" else "bad" for t in r.timestamps)
    d.blocks.append(Table((d.t("ts_time"), d.t("ts_tsa"),
                           f"{d.t('ts_serial')} / {d.t('ts_policy')}", d.t("ts_status"),
                           d.t("ts_file")), rows, (4, 5, 4, 5, 5), flags=flags,
                          mono=frozenset({2, 4})))
    if r.anchor is not None:
        d.paras({lang: f"{text}: {r.anchor.block_time_utc}"
                 for lang, text in r.text("ts_block_time").items()}, "note")
    d.h("recheck_timestamps", "recheck-timestamps", 3)
    d.paras(r.text("recheck_timestamps_intro"), "note")
    d.blocks.append(Code("\n".join(t.recheck for t in r.timestamps)))


def _recheck(d: _Doc) -> None:
    r = d.r
    rc = r.recheck
    d.h("sec_recheck", "recheck")
    for text in r.text("recheck_intro").values():
        d.blocks.append(Para(text.format(bundle=rc.bundle_name), "note"))
    d.h("recheck_files", "recheck-files", 3)
    d.paras(r.text("recheck_files_text"))
    lines = [rc.cd, *rc.manifest_commands]
    for command, expected, _item in rc.file_commands:
        lines.append(f"{command}\n#   {expected}")
    d.blocks.append(Code("\n".join(lines)))
    if rc.record_commands:
        d.h("recheck_records", "recheck-records", 3)
        d.paras(r.text("recheck_records_text"))
        d.blocks.append(Code("\n".join(f"{c}\n#   {e}  ({i})" for c, e, i in
                                       rc.record_commands)))
    d.h("recheck_merkle", "recheck-merkle", 3)
    for steps in rc.merkle_steps.values():
        d.blocks.append(Bullets(steps))
    d.h("recheck_script", "recheck-script", 3)
    d.paras(r.text("recheck_script_text"))
    first, *rest = rc.script.split("\n")
    d.blocks.append(Code("\n".join([first, f"#   {rc.script_sha256}", *rest])))
    d.h("recheck_chain", "recheck-chain", 3)
    chain = rc.chain
    if chain is None:
        d.paras(r.text("recheck_no_anchor"), "note")
        return
    for text in r.text("recheck_chain_text").values():
        d.blocks.append(Para(text.format(chain_id=chain.chain_id)))
    rows = [(f"{d.t('selector')}: {sig}", sel, True) for sig, sel in chain.selectors.items()]
    rows.append((d.t("expected_result"), chain.expected_anchor_result or "—", True))
    d.blocks.append(KeyValue(tuple(rows)))
    d.blocks.append(Code("\n\n".join(f"# {what}\n{cmd}" for what, cmd in chain.requests)))


def _web(d: _Doc) -> None:
    """Each captured page (URL, final URL, time, status, certificate, full-page screenshot)
    and the capture-environment record: web captures only (:mod:`.web`)."""
    web = d.r.web
    if web is None:
        return

    def w(key: str) -> str:
        return _j(pick(WEB_TEXT[key], d.r.langs))

    d.blocks.append(Heading(2, w("sec_web"), "web"))
    d.paras(pick(WEB_TEXT["web_intro"], d.r.langs), "note")
    thumbs = {t.item_id: t for t in d.r.thumbnails}
    for page in web.pages:
        d.blocks.append(Heading(3, f"{w('page')} {page.page}", f"web-page-{page.page}"))
        d.blocks.append(KeyValue((
            (w("url"), page.url, True),
            (w("final_url"), page.final_url, True),
            (w("time"), page.captured_at, False),
            (w("status"), "—" if page.http_status is None else str(page.http_status), False),
            (w("partial"), d.yes_no(page.partial), False),
            (w("findings"), ", ".join(page.findings) or "—", False),
            (w("cert_subject"), page.certificate_subject or "—", True),
            (w("cert_issuer"), page.certificate_issuer or "—", True),
            (w("screenshot"), page.screenshot_item or "—", False),
        )))
        shot = thumbs.get(page.screenshot_item or "")
        if shot is not None:
            d.blocks.append(Images(((shot, f"{shot.item_id} · {page.final_url}"),)))
    d.blocks.append(Heading(3, w("sec_env"), "web-environment"))
    if web.environment is None:
        d.blocks.append(Para(f"{w('env_not_shown')}: {web.environment_reason}", "warning"))
    else:
        d.blocks.append(Para(f"{web.environment_item}", "small"))
        d.blocks.append(KeyValue(tuple((k, v, False) for k, v in web.environment)))
    d.paras(pick(WEB_TEXT["env_caveat"], d.r.langs), "note")
