"""The tool's name and version, recorded in every bundle, receipt and report."""

from __future__ import annotations

__all__ = ["TOOL_NAME", "__version__"]

TOOL_NAME = "evidence-anchor"
__version__ = "0.1.0"
