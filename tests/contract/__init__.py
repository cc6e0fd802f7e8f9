"""Tests of the EvidenceAnchor contract, its build and its Python counterparts."""
