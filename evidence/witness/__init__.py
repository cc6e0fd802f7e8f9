"""Witnesses: the on-chain registry, confirmations, and the confirming daemon."""
