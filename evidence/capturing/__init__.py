"""Capture: copy or move files and record exports into a new signed bundle."""
