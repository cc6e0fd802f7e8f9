"""Verification: the whole check of a bundle (its integrity from :mod:`evidence.bundle`), its
anchor and witnesses on chain under the verifier's trust profile, and the verdict."""
