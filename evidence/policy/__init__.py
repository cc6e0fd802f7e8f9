"""Policies: load a TOML policy, evaluate the witnesses against it, describe it."""
