"""Text for a terminal: what the command line prints of an extract's text is shown, never obeyed.

A name, an address or a file name from an extract can hold control characters: ``ESC`` starts
sequences that recolour, retitle or rewrite the analyst's screen (and, on some terminals, answer
back as if typed), and the bidirectional overrides reorder what is read (Trojan Source). A value
printed in a line passes through :func:`shown` (its line breaks escaped too, so a name cannot
start a row of its own); and every character the command writes to stdout and stderr passes
through :class:`ShownStream`, so that no print site, library message or argparse error can send
one to the terminal unescaped. JSON escapes them itself (``json.dumps``), so it stays valid.
"""

from __future__ import annotations

import re
from typing import Any, TextIO

# C0 and C1 controls, DEL, and the marks and overrides that reorder text
_HIDDEN = re.compile("[\\x00-\\x1f\\x7f-\\x9f\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069]")
# the same but the layout a stream's lines need: line feed and tab
_HIDDEN_IN_LINES = re.compile("[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069]")


def _escape(match: re.Match) -> str:
    return match.group().encode("unicode_escape").decode("ascii")


def shown(text: object) -> str:
    """``text`` with each character a terminal would act on written as its escape (``\\x1b``)."""
    return _HIDDEN.sub(_escape, str(text))


class ShownStream:
    """A text stream writing through to ``raw`` with every character a terminal would act on
    escaped, line feeds and tabs kept. At a terminal a write may begin with one carriage return:
    that is how a progress bar redraws itself (progress bars are drawn only at a terminal), and at
    the start of a write it can only return to a line the command itself is drawing."""

    def __init__(self, raw: TextIO):
        self.raw = raw

    def write(self, text: str) -> int:
        keep = text[:1] == "\r" and self.raw.isatty()
        self.raw.write(("\r" if keep else "") + _HIDDEN_IN_LINES.sub(_escape, text[1:] if keep else text))
        return len(text)

    def __getattr__(self, name: str) -> Any:  # flush, fileno, isatty, encoding, buffer: the stream's own
        return getattr(self.raw, name)
