"""Session IDs: short, typable, unambiguous, looked up in any case with spaces and dashes ignored.

Crockford's base-32 alphabet (no I, L, O or U) with 8 characters: 32**8 ≈ 1.1e12 codes, shown
as `ABCD-EFGH`. Typed input is normalised the Crockford way (O→0, I and L→1), after folding
full-width characters to ASCII (NFKC) and treating typographic dashes as dashes.
"""

from __future__ import annotations

import re
import secrets
import unicodedata

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 8
_TRANSLATE = str.maketrans({"O": "0", "I": "1", "L": "1"})
# Hyphen, the dashes phones and word processors substitute for it, and the minus sign.
_SEPARATORS = re.compile(r"[\s\-_.\u2010-\u2015\u2212]+")


def session_code_generate() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def session_code_normalise(typed: str) -> str | None:
    """The stored form of a typed code, or None when it cannot be a Session ID."""
    folded = unicodedata.normalize("NFKC", typed or "")
    code = _SEPARATORS.sub("", folded).upper().translate(_TRANSLATE)
    if len(code) != LENGTH or any(character not in ALPHABET for character in code):
        return None
    return code


def session_code_display(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"
