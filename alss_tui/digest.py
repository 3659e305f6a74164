"""Short stable hashes of JSON-able values: the ids and cache keys of benches, VAEs and reference models.

Below every layer (like `durable.py`), so the bench and the reference oracle
share one definition: a key they compute must not change with who computes it.
"""

from __future__ import annotations

import hashlib
import json


def digest(obj: object, length: int = 12) -> str:
    """The first `length` hex digits of the SHA-256 of `obj` as sorted-key JSON."""
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()[:length]
