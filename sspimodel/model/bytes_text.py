"""Bytes as text, bounded: the hexdump and the repr every display of a buffer uses.

A buffer of up to :data:`SHOWN_IN_FULL` bytes is shown whole, exactly as ``repr`` and a plain
hexdump show it. A longer one (a 4 MB message, a marshalled identity) is shown as its first
and its last :data:`SHOWN_EDGE` bytes with one line between them saying how many bytes were left
out, so a notebook cell, a result's repr or an error message stays readable and fast whatever
the buffer holds. The cut depends only on the length: the same bytes always show the same text.
"""

from __future__ import annotations

__all__ = ["SHOWN_EDGE", "SHOWN_IN_FULL", "bytes_repr", "hexdump", "left_out"]

# A buffer up to this size is shown whole (256 hexdump lines at most).
SHOWN_IN_FULL = 4096
# Above it: this many bytes of its head and (from the start of the line that holds it) of its tail.
SHOWN_EDGE = 512


def _cut(size: int, width: int = 1) -> tuple[int, int] | None:
    """Where the shown head ends and the shown tail starts, each on a multiple of ``width``;
    None when the whole buffer is shown."""
    if size <= SHOWN_IN_FULL:
        return None
    head_end = min(-(-SHOWN_EDGE // width) * width, size)
    tail_start = max(head_end, (size - SHOWN_EDGE) // width * width)
    if tail_start <= head_end:  # lines so wide that the head and the tail meet: shown whole
        return None
    return head_end, tail_start


def left_out(size: int) -> int:
    """How many bytes of a ``size``-byte buffer :func:`bytes_repr` leaves out (0: none)."""
    cut = _cut(size)
    return cut[1] - cut[0] if cut is not None else 0


def _lines(data: bytes, start: int, end: int, width: int, digits: int) -> list[str]:
    lines = []
    for at in range(start, end, width):
        chunk = data[at : min(at + width, end)]
        hexes = " ".join(f"{b:02x}" for b in chunk)
        text = "".join(chr(b) if 0x20 <= b < 0x7F else "." for b in chunk)
        lines.append(f"{at:0{digits}x}  {hexes:<{width * 3 - 1}}  {text}")
    return lines


def hexdump(data: bytes, width: int = 16) -> str:
    """Offset, hex bytes and printable ASCII, ``width`` bytes a line (wraps, never runs off a page).

    Above :data:`SHOWN_IN_FULL` bytes, only the lines of the head and of the tail are shown, with
    one line between them giving the number of bytes left out and their offsets."""
    size = len(data)
    if not size:
        return "(empty)"
    digits = max(4, len(f"{size - 1:x}"))
    cut = _cut(size, width)
    if cut is None:
        return "\n".join(_lines(data, 0, size, width, digits))
    head_end, tail_start = cut
    gap = (
        f"{'.' * digits}  {tail_start - head_end} bytes left out "
        f"({head_end:0{digits}x} to {tail_start - 1:0{digits}x})"
    )
    return "\n".join([*_lines(data, 0, head_end, width, digits), gap, *_lines(data, tail_start, size, width, digits)])


def bytes_repr(data: bytes | bytearray) -> str:
    """``repr(data)``, or above :data:`SHOWN_IN_FULL` bytes the repr of its head and of its tail
    around the number of bytes left out: ``<N bytes: b'...' ... M bytes left out ... b'...'>``
    (a bytearray in ``bytearray(...)``)."""
    cut = _cut(len(data))
    if cut is None:
        return repr(data)
    head_end, tail_start = cut
    head, tail = bytes(data[:head_end]), bytes(data[tail_start:])
    shown = f"<{len(data)} bytes: {head!r} ... {tail_start - head_end} bytes left out ... {tail!r}>"
    return f"bytearray({shown})" if isinstance(data, bytearray) else shown
