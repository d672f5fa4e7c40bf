"""WCHAR strings: their UTF-16 code units, and whether those units are text.

A caller's string may hold a surrogate that is not half of a pair, as a WCHAR string can: it is
kept as the one unit it is (``surrogatepass``). What the model builds for its own readers must be
text, since they decode strictly; :func:`unpaired_surrogate` says where a string is not.
"""

from __future__ import annotations

__all__ = ["unpaired_surrogate", "utf16"]


def utf16(text: str | None) -> bytes:
    """The UTF-16LE code units of ``text`` as they lie in memory, an unpaired surrogate included
    (None, a NULL string: none)."""
    return (text or "").encode("utf-16-le", "surrogatepass")


def unpaired_surrogate(text: str) -> str | None:
    """Where ``text`` holds a surrogate that is not half of a pair, as ``"U+D800 at UTF-16 unit 3"``;
    None when its UTF-16 units are text. A pair given as two code points (``"\\ud83d\\ude00"``) is
    text: its units are those of the character they pair into."""
    data = utf16(text)
    try:
        data.decode("utf-16-le")
    except UnicodeDecodeError as e:
        unit = int.from_bytes(data[e.start : e.start + 2], "little")
        return f"U+{unit:04X} at UTF-16 unit {e.start // 2}"
    return None
