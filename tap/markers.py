"""What the plan manifest shows in place of a value it cannot or must not show (pure).

Part of the manifest's contract (README, "The plan manifest"): the plan writes them, and what
reads a manifest (policy rules, AWS constraints, `tap diff`) takes either as "can't tell".
"""

from __future__ import annotations

UNKNOWN = "<unknown>"  # not known before deploy: an output of another resource
SECRET = "<secret>"  # a secret, never written in clear
MASKED = (UNKNOWN, SECRET)
