"""Findings and verdicts: what a verification says, item by item and rule by rule."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

__all__ = ["Finding", "Severity", "Verdict"]


class Severity(enum.StrEnum):
    """How much a finding weighs in the verdict."""

    #: A check held; kept so a report can say what was checked, not only what failed.
    OK = "ok"
    #: Worth knowing, does not change the verdict (e.g. development chain).
    INFO = "info"
    #: The evidence is intact but does not meet the policy (-> not-presumed).
    WARNING = "warning"
    #: Something is changed, invalid or missing (-> failed).
    ERROR = "error"
    #: A check could not be made (chain unreachable) (-> inconclusive).
    UNKNOWN = "unknown"


class Verdict(enum.StrEnum):
    """The four verdicts of docs/architecture.md step 6."""

    PRESUMED_AUTHENTIC = "presumed-authentic"
    NOT_PRESUMED = "not-presumed"
    FAILED = "failed"
    INCONCLUSIVE = "inconclusive"


@dataclass(frozen=True)
class Finding:
    """One checked fact. ``code`` is stable (tools match on it), ``message`` is for people.

    ``subject`` names what the finding is about: a file under ``data/``, a record id, a
    tag file, a witness address, a policy rule.
    """

    code: str
    severity: Severity
    message: str
    subject: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
        }
        if self.subject is not None:
            out["subject"] = self.subject
        return out

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> Finding:
        return cls(
            code=str(obj["code"]),
            severity=Severity(obj["severity"]),
            message=str(obj["message"]),
            subject=None if obj.get("subject") is None else str(obj["subject"]),
        )
