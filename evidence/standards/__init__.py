"""Standards that know nothing of evidence: RFC 8785 canonical JSON and
I-JSON (RFC 7493), RFC 6962 Merkle trees, BagIt (RFC 8493)."""
