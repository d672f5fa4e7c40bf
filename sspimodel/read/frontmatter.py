"""Loading a page's YAML front matter safely.

PyYAML's safe loader still expands aliases: a few lines of ``&a [*b, *b, ...]`` anchors grow
exponentially (a "billion laughs" page). Front matter of a reference page never needs anchors
or aliases, so a front matter that uses them is refused with a diagnostic, as is one larger than
:data:`MAX_FRONT_MATTER` characters. Both checks are linear in the front matter's size.
"""

from __future__ import annotations

from typing import Any

import yaml

__all__ = ["MAX_FRONT_MATTER", "FrontMatterRefused", "load_front_matter"]

MAX_FRONT_MATTER = 64 * 1024  # characters; real front matter is about 1-2 KB
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class FrontMatterRefused(Exception):
    """The front matter is refused without being loaded: ``line`` is 0-based within it."""

    def __init__(self, reason: str, line: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


def _refuse_anchors(content: str) -> None:
    loader = _LOADER(content)
    try:
        while loader.check_token():
            tok = loader.get_token()
            if isinstance(tok, yaml.AliasToken | yaml.AnchorToken):
                what = "alias" if isinstance(tok, yaml.AliasToken) else "anchor"
                raise FrontMatterRefused(
                    f"YAML {what} '{tok.value}' refused (front matter may not use anchors or aliases)",
                    tok.start_mark.line,
                )
    finally:
        loader.dispose()


def load_front_matter(content: str) -> Any:
    """The YAML value of a front matter. Raises FrontMatterRefused (size, anchors, aliases) or
    yaml.YAMLError (not YAML)."""
    if len(content) > MAX_FRONT_MATTER:
        raise FrontMatterRefused(
            f"front matter is {len(content)} characters, more than the limit of {MAX_FRONT_MATTER}"
        )
    if "&" in content or "*" in content:  # anchors and aliases cannot appear without these
        _refuse_anchors(content)
    loader = _LOADER(content)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()
