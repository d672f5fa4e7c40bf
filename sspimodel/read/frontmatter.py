"""Loading a page's YAML front matter safely.

PyYAML's safe loader still expands aliases: a few lines of ``&a [*b, *b, ...]`` anchors grow
exponentially (a "billion laughs" page). Front matter of a reference page never needs anchors
or aliases, so a front matter that uses them is refused with a diagnostic, as is one larger than
:data:`MAX_FRONT_MATTER` characters. Both checks are linear in the front matter's size.
"""

from __future__ import annotations

import re
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


# The shapes every reference front matter is made of: "key: plain value", "key:" and a block
# list of plain values below it. A front matter of only these lines is read without building
# PyYAML's node graph (most of the read's YAML time); each value is still typed by PyYAML's own
# resolver, so the result is the one yaml.safe_load gives. Any other line (quotes, flow
# collections, anchors, multi-line scalars, comments, tabs...) sends the whole front matter to
# PyYAML.
# One pattern for every line shape, matched over the whole front matter at once (re.M): a key
# line (group 1 the key, group 2 its value with trailing spaces), a block-list item (group 3 its
# dash, group 4 its value), a blank line or a comment; a line of any other shape is not matched,
# so fewer matches than lines sends the front matter to PyYAML. (Values are captured greedily and right-stripped: a lazy
# capture before trailing spaces costs a backtracking step per character.)
_LINE_RE = re.compile(r"^(?:([A-Za-z_][\w.\-]*):(?:[ ]+(.*))?|[ ]*(-)[ ]+(.*)|[ ]*|#.*)$", re.M)
_PLAIN_BAD_START = frozenset("-?:,[]{}#&*!|>'\"%@`")
assert {"[", '"', "'"} <= _PLAIN_BAD_START
_RESOLVER = yaml.resolver.Resolver()
_RESOLVED_FIRST = (
    frozenset(k for k in yaml.resolver.Resolver.yaml_implicit_resolvers if k is not None)
    if None not in yaml.resolver.Resolver.yaml_implicit_resolvers
    else None  # a resolver for any first character: always ask the resolver
)
_STR_TAG = "tag:yaml.org,2002:str"
_NULL_TAG = "tag:yaml.org,2002:null"
_BOOL_TAG = "tag:yaml.org,2002:bool"
_INT_TAG = "tag:yaml.org,2002:int"
_BOOL_VALUES = {"yes": True, "true": True, "on": True, "no": False, "false": False, "off": False}
_DECIMAL_RE = re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$")
_NOT_FAST = object()
_FLOW_OF_QUOTED_RE = re.compile(r'^\[[ ]*(?:"[^"\\\n]*"[ ]*(?:,[ ]*"[^"\\\n]*"[ ]*)*)?\]$')
_QUOTED_RE = re.compile(r'"([^"\\\n]*)"')
_ONE_QUOTED_RE = re.compile(r'^"[^"\\\n]*"$')
_ONE_SINGLE_QUOTED_RE = re.compile(r"^'[^'\n]*'$")


def _plain(value: str) -> Any:
    """The value of one plain scalar as PyYAML's safe loader types it, or _NOT_FAST."""
    if not value:
        return None
    first = value[0]
    if first in _PLAIN_BAD_START:  # (holds "[", '"' and "'")
        if first == "[" and _FLOW_OF_QUOTED_RE.match(value):
            return _QUOTED_RE.findall(value)  # ["a", "b"]: double-quoted strings without escapes
        if first == '"' and _ONE_QUOTED_RE.match(value):
            return value[1:-1]
        if first == "'" and _ONE_SINGLE_QUOTED_RE.match(value):
            return value[1:-1]  # one line, no quote inside: no '' escape, no line folding
        return _NOT_FAST
    if ": " in value or " #" in value or "\t" in value:
        return _NOT_FAST
    if _RESOLVED_FIRST is not None and first not in _RESOLVED_FIRST:
        return value  # no implicit type starts with this character: a string
    tag = _RESOLVER.resolve(yaml.ScalarNode, value, (True, False))
    if tag == _STR_TAG:
        return value
    if tag == _NULL_TAG:
        return None
    if tag == _BOOL_TAG:
        return _BOOL_VALUES[value.lower()]
    if tag == _INT_TAG and _DECIMAL_RE.match(value):
        return int(value)
    return _NOT_FAST


def _fast_load(content: str) -> dict[str, Any] | None:
    out: dict[str, Any] = {}
    key: str | None = None  # the key whose block list may follow
    plain = _plain
    lines = _LINE_RE.findall(content)  # (a group that did not match is "")
    for k, raw, dash, item in lines:
        if k:  # "key: value" or "key:"
            raw = raw.rstrip(" ")
            if raw:
                v = plain(raw)
                if v is _NOT_FAST:
                    return None
                out[k] = v
                key = None
            else:
                out[k] = None
                key = k
        elif dash:  # "- value" below "key:"
            if key is None:
                return None
            v = plain(item.rstrip(" "))
            if v is _NOT_FAST:
                return None
            cur = out[key]
            if cur is None:
                out[key] = [v]
            else:
                cur.append(v)
        # else a blank or comment line
    if len(lines) != content.count("\n") + 1:  # a line of another shape
        return None
    return out or None


def load_front_matter(content: str) -> Any:
    """The YAML value of a front matter. Raises FrontMatterRefused (size, anchors, aliases) or
    yaml.YAMLError (not YAML)."""
    if len(content) > MAX_FRONT_MATTER:
        raise FrontMatterRefused(
            f"front matter is {len(content)} characters, more than the limit of {MAX_FRONT_MATTER}"
        )
    fast = _fast_load(content)
    if fast is not None:
        return fast
    if "&" in content or "*" in content:  # anchors and aliases cannot appear without these
        _refuse_anchors(content)
    loader = _LOADER(content)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()
