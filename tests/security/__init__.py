"""Permanent regressions of the outside security review: each file replays one
reproduction as an attacker would run it."""
