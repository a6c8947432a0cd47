"""Text for a terminal: what the command line prints of an extract's text is shown, never obeyed.

A name, an address or a file name from an extract can hold control characters: ``ESC`` starts
sequences that recolour, retitle or rewrite the analyst's screen (and, on some terminals, answer
back as if typed), and the bidirectional overrides reorder what is read (Trojan Source). Whatever
the command line prints as plain text passes through :func:`shown`; JSON escapes them itself.
"""

from __future__ import annotations

import re

# C0 and C1 controls, DEL, and the marks and overrides that reorder text
_HIDDEN = re.compile("[\\x00-\\x1f\\x7f-\\x9f\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069]")


def shown(text: object) -> str:
    """``text`` with each character a terminal would act on written as its escape (``\\x1b``)."""
    return _HIDDEN.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), str(text))
