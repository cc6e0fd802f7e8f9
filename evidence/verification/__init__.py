"""Verification: a bundle's integrity, its anchors and witnesses on chain, the result."""
