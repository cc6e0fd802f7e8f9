"""One item as a report lists it: apart from :mod:`evidence.report.model` so that
:mod:`evidence.report.rechecks`, which the model builds on, can name it without a circle."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from evidence.standards.jcs import JSONValue

__all__ = ["MAX_FIELD_CHARS", "MAX_RECORD_FIELDS_SHOWN", "ReportItem"]

#: Record fields shown per record in HTML and PDF tables (all are kept in the JSON).
MAX_RECORD_FIELDS_SHOWN = 16

#: Longest record value shown in HTML and PDF tables (characters).
MAX_FIELD_CHARS = 160


@dataclass(frozen=True)
class ReportItem:
    """One item as listed in the report (a file or a record)."""

    id: str
    kind: str
    name: str
    path: str
    size: int
    sha256: str
    sha512: str
    media_type: str
    status: str
    message: str
    captured_at: str | None
    record_line: int | None = None
    source_name: str | None = None
    locator: str | None = None
    record: JSONValue = None
    image: tuple[int, int] | None = None
    #: For a CSV record: the row a spreadsheet program shows (its locator "row N" is the
    #: file line where the record starts; a cell spanning lines makes the two differ).
    sheet_row: int | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id, "kind": self.kind, "name": self.name, "path": self.path,
            "size": self.size, "sha256": self.sha256, "sha512": self.sha512,
            "media_type": self.media_type, "status": self.status, "message": self.message,
            "captured_at": self.captured_at,
        }
        if self.kind == "record":
            out["record"] = {"line": self.record_line, "source_name": self.source_name,
                             "locator": self.locator, "fields": self.record}
            if self.sheet_row is not None:
                out["record"]["sheet_row"] = self.sheet_row
        if self.image is not None:
            out["image"] = {"width": self.image[0], "height": self.image[1]}
        return out

    def field_rows(self) -> list[tuple[str, str]]:
        """The record's fields as (name, shown value) pairs, bounded for display."""
        if not isinstance(self.record, dict):
            return [] if self.record is None else [("value", _shown(self.record))]
        return [(str(k), _shown(v)) for k, v in list(self.record.items())[
            :MAX_RECORD_FIELDS_SHOWN]]


def _shown(value: JSONValue) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= MAX_FIELD_CHARS else text[: MAX_FIELD_CHARS - 1] + "…"
