"""Tokenizer of the reference *source* markdown form: text -> :class:`~sspimodel.read.raw.RawPage`.

A line scanner for the markdown subset the reference pages use, written for this reader (no
markdown library on this path: markdown-it's full parse cost more than the whole read may):

- YAML front matter between two ``---`` lines at the top (split off, loaded by the interpreter);
- ATX headings (``#`` to ``######``) and setext headings (a line under ``===``/``---``);
- fenced code (backticks or tildes) and indented code (kept as HTML: legacy pages indent HTML
  paragraphs with tabs);
- pipe tables (a header row, a delimiter row, body rows up to a blank line);
- HTML blocks, as CommonMark ends them (a ``<pre>``/``<script>``/comment block at its closing
  tag, any other at a blank line); HTML tables split by blank lines are joined by the
  interpreter's HTML table reader;
- lists (``-``, ``*``, ``+``, ``1.``) and block quotes (``>``), read as one text block each
  (one part per item or paragraph);
- paragraphs, with inline markdown: code spans, backslash escapes, entities, ``**strong**`` /
  ``__strong__`` and ``*em*`` / ``_em_`` (CommonMark's flanking rules, simplified: no rule of
  three), links and images, autolinks, inline HTML tags, hard and soft breaks.

Lenient: every line of the page lands in some block or is skipped as blank; nothing raises on
content. Each block keeps its 1-based line span.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

from .raw import Block, Cell, FrontMatter, RawPage, Row, Table

__all__ = ["render_inline", "scan_source"]

# A tag: closing slash, name, attributes up to the first ">" (comments: see _html_tags).
_TAG_RE = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)\b([^>]*)>", re.S)
_HREF_RE = re.compile(r"""\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.I)
_MD_BOLD_RE = re.compile(r"\*\*(.+?)\*\*|__(.+?)__")
# (Link text and target hold no "[" or "]": each "[" is tried up to the next one only, so a line
# of unclosed brackets, or of unclosed "[x](", stays linear.)
_MD_LINK_RE = re.compile(r"\[([^\]\[]*)\]\(([^)\s\[\]]*)\)")
_MD_EMPH_RE = re.compile(r"(?<![\w*])\*(?!\s)([^*]+?)(?<!\s)\*(?![\w*])")
_ALERT_RE = re.compile(r"\[!(NOTE|WARNING|CAUTION|IMPORTANT|TIP)\]\s*", re.I)
_WS_RE = re.compile(r"[ \t\u00a0\r\f\v]+")
# The whitespace str.split() splits at besides _WS_RE's and "\n": a text without any of it is
# squashed by " ".join(s.split()) to what _WS_RE gives.
_OTHER_WS_RE = re.compile(r"[\x1c-\x1f\x85\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]")


# Tags that end a part of the collected text.
_BREAK_TAGS = frozenset(("br", "p", "li", "dt", "dd", "div", "ul", "ol", "dl", "tr", "table", "td", "th", "h1", "h2", "h3", "h4"))


class _Collector:
    """Accumulates inline text split into parts (at <br>, <dt>, <li>, <p>...), bold runs and links."""

    __slots__ = ("bold_buf", "bold_depth", "bolds", "cur", "link_buf", "link_href", "links", "parts")

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.cur: list[str] = []
        self.bolds: list[str] = []
        self.bold_depth = 0
        self.bold_buf: list[str] = []
        self.links: list[tuple[str, str]] = []
        self.link_href: str | None = None
        self.link_buf: list[str] = []

    def data(self, s: str) -> None:
        if not s:
            return
        self.cur.append(s)
        if self.bold_depth:
            self.bold_buf.append(s)
        if self.link_href is not None:
            self.link_buf.append(s)

    def brk(self) -> None:
        if self.cur:
            self.parts.append("".join(self.cur))
            self.cur = []

    def bold_open(self) -> None:
        if self.bold_depth == 0:
            self.bold_buf = []
        self.bold_depth += 1

    def bold_close(self) -> None:
        if self.bold_depth:
            self.bold_depth -= 1
            if self.bold_depth == 0:
                b = _squash("".join(self.bold_buf))
                if "](" in b:  # a markdown link inside an HTML <b> (legacy value tables): its text
                    b = _MD_LINK_RE.sub(r"\1", b)
                if b:
                    self.bolds.append(b)

    def link_open(self, href: str) -> None:
        self.link_close()
        self.link_href = href
        self.link_buf = []

    def link_close(self) -> None:
        if self.link_href is not None:
            self.links.append((_link_text("".join(self.link_buf)), self.link_href))
            self.link_href = None

    def tag(self, closing: bool, name: str, attrs: str) -> None:
        """Apply one HTML tag met in inline text or an HTML fragment."""
        if not name.islower():
            name = name.lower()
        if name in ("b", "strong"):
            self.bold_close() if closing else self.bold_open()
        elif name == "a":
            if closing:
                self.link_close()
            else:
                m = _HREF_RE.search(attrs)
                if m:
                    self.link_open(html.unescape(m.group(1) or m.group(2) or m.group(3) or ""))
        elif name in _BREAK_TAGS:
            self.brk()

    def finish(self) -> tuple[list[str], list[str], list[tuple[str, str]]]:
        self.bold_depth = min(self.bold_depth, 1)
        self.bold_close()
        self.link_close()
        self.brk()
        parts: list[str] = []
        bolds = self.bolds
        links = self.links
        for p in self.parts:
            if p.isspace():  # squashes to nothing (the text between tags, mostly)
                continue
            if "*" in p or "](" in p or "__" in p:
                p = _md_inline_cleanup(p, bolds, links)
            q = _squash(p)
            if q:
                parts.append(q)
        return parts, bolds, links

    def cell(self, header: bool = False) -> Cell:
        parts, bolds, links = self.finish()
        return Cell("\n".join(parts), parts, bolds, links, header)


def _squash(s: str) -> str:
    if not _OTHER_WS_RE.search(s):
        return " ".join(s.split())  # same result, faster, where str.split's whitespace is ours
    return _WS_RE.sub(" ", s.replace("\n", " ")).strip()


def _link_text(s: str) -> str:
    s = _squash(s)
    # A broken tag seen upstream: <a href="...">SecPkgContext_PackageInfo">SecPkgContext_PackageInfo</a>
    if '">' in s:
        s = s.rsplit('">', 1)[1]
    return s


def _md_inline_cleanup(s: str, bolds: list[str], links: list[tuple[str, str]]) -> str:
    """Markdown left in text that only an HTML parser saw (inside HTML table cells)."""

    def bold(m: re.Match[str]) -> str:
        inner = m.group(1) or m.group(2) or ""
        if inner.strip():
            bolds.append(_squash(inner))
        return inner

    def link(m: re.Match[str]) -> str:
        links.append((_squash(m.group(1)), m.group(2)))
        return m.group(1)

    s = _MD_LINK_RE.sub(link, s)
    s = _MD_BOLD_RE.sub(bold, s)
    return _MD_EMPH_RE.sub(r"\1", s)


def _html_tags(raw: str) -> Iterator[tuple[int, int, tuple[bool, str, str] | None]]:
    """The comments and tags of an HTML fragment, in order: (start, end, (closing, name,
    attributes)), or None for a comment. A comment runs to the first "-->", a tag to the first
    ">"; a "<" that starts neither is text. Linear in the fragment: where no "-->" (or ">") is
    left, no "<" is searched for its end again (a regex would scan to the end of the fragment from
    each "<!--" or "<a" of a line of them)."""
    last_gt = raw.rfind(">")
    last_comment_end = raw.rfind("-->")
    pos = 0
    while True:
        i = raw.find("<", pos)
        if i < 0 or i > last_gt:  # nothing after i can end a tag or a comment
            return
        if raw.startswith("<!--", i) and last_comment_end >= i + 4:
            end = raw.find("-->", i + 4) + 3
            yield i, end, None
            pos = end
            continue
        m = _TAG_RE.match(raw, i)
        if m is None:
            pos = i + 1
            continue
        yield i, m.end(), (bool(m.group(1)), m.group(2), m.group(3))
        pos = m.end()


def _render_html_fragment(raw: str, col: _Collector) -> None:
    """Text of an HTML fragment without a table (alert divs, legacy paragraphs)."""
    pos = 0
    for start, end, tag in _html_tags(raw):
        if start > pos:
            col.data(html.unescape(raw[pos:start]))
        if tag is not None:
            col.tag(*tag)
        pos = end
    if pos < len(raw):
        col.data(html.unescape(raw[pos:]))



# SCANNER
# --------------------------------------------------------------------------------------------
# Inline markdown
# --------------------------------------------------------------------------------------------

_SAFE_URL_RE = re.compile(r"^[A-Za-z0-9\-._~:/?#@!$&'()*+,;=%]*$")
_BAD_PROTO_RE = re.compile(r"^\s*(?:javascript|vbscript|file|data):", re.I)
_ASCII_PUNCT = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


def _is_punct(ch: str) -> bool:
    if ch in _ASCII_PUNCT:
        return True
    if ch.isascii():
        return False
    import unicodedata

    return unicodedata.category(ch).startswith(("P", "S"))


# Event kinds: text, brk, soft, bopen, bclose, lopen, lclose, tag, and delimiter runs (a list).
_Event = tuple


def _normalize_url(url: str) -> str:
    if "\\" in url or "&" in url:
        url = re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", url)
        url = html.unescape(url)
    if _SAFE_URL_RE.match(url):
        return url
    from markdown_it.common.normalize_url import normalizeLink

    return normalizeLink(url)


def _bracket_pairs(s: str) -> dict[int, int]:
    """Each ``[`` of s that is closed, with the index of its ``]`` (nesting, backslash escapes and
    code spans respected): one pass, so a line of thousands of ``[`` stays linear."""
    pairs: dict[int, int] = {}
    stack: list[int] = []
    n = len(s)
    j = 0
    while True:
        m = _BRACKET_RE.search(s, j)
        if m is None:
            break
        j = m.start()
        c = s[j]
        if c == "\\":
            j += 2
            continue
        if c == "`":
            k = j
            while k < n and s[k] == "`":
                k += 1
            close = s.find(s[j:k], k)
            j = close + (k - j) if close != -1 else k
            continue
        if c == "[":
            stack.append(j)
        elif stack:
            pairs[stack.pop()] = j
        j += 1
    return pairs


_BRACKET_RE = re.compile(r"[\[\]\\`]")


_DEST_RE = re.compile(r"\(\s*(?:<([^<>\n]*)>|((?:[^\s()\\]|\\.|\((?:[^\s()\\]|\\.)*\))*))(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?\s*\)", re.S)


# The characters that may start inline markup: a "!" only before "[" (an image), a "_" not between
# two ASCII letters or digits (such a "_" can neither open nor close emphasis: SEC_E_OK is text).
_NEXT_RE = re.compile(r"[`\\\n!\[<&*_](?:(?<=[^_!])|(?<=!)(?=\[)|(?<=_)(?<![A-Za-z0-9]_)|(?<=_)(?![A-Za-z0-9]))")
# What a "<" starts in inline text, tried in this order: an autolink, a tag (its closing slash and
# name captured); a comment ("<!--" to the first "-->") is found before, in _events.
_AUTO_OR_TAG_RE = re.compile(
    r"(?P<auto><[A-Za-z][A-Za-z0-9+.-]{1,31}:[^\s<>]*>)"
    r"|<(?P<close>/?)(?P<name>[A-Za-z][A-Za-z0-9-]*)"
    r"(?:\s+[A-Za-z_:][\w.:-]*(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'=<>`]+))?)*\s*/?>",
    re.S,
)
_ENT_RE = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


def _events(s: str, out: list) -> bool:
    """Inline events of s (no emphasis resolution yet: delimiter runs are lists); whether it
    added a delimiter run (else there is no emphasis to resolve)."""
    delims = False
    n = len(s)
    text_start = 0
    pos = 0
    find = _NEXT_RE.search
    pairs: dict[int, int] | None = None
    last_comment_end = -2  # where the last "-->" of s starts (-1: none), once a "<!--" asks
    while True:
        m = find(s, pos)
        if m is None:
            break
        p = m.start()
        c = s[p]
        end = -1
        ev: object = None
        if c == "*" or c == "_":
            end = p + 1
            while end < n and s[end] == c:
                end += 1
            before = s[p - 1] if p > 0 else " "
            after = s[end] if end < n else " "
            ws_b, ws_a = before.isspace(), after.isspace()
            p_b, p_a = _is_punct(before), _is_punct(after)
            left = not ws_a and (not p_a or ws_b or p_b)
            right = not ws_b and (not p_b or ws_a or p_a)
            if c == "*":
                can_open, can_close = left, right
            else:
                can_open = left and (not right or p_b)
                can_close = right and (not left or p_a)
            if not can_open and not can_close:  # a run that neither opens nor closes: text
                pos = end
                continue
            k = end - p
            # [kind, char, remaining count, original count, can_open, can_close, closes, opens]
            ev = ["delim", c, k, k, can_open, can_close, [], []]
            delims = True
        elif c == "\n":
            t = p
            while t > text_start and s[t - 1] == " ":
                t -= 1
            hard = p - t >= 2
            if t > text_start:
                out.append(("text", s[text_start:t]))
            out.append(("brk",) if hard else ("soft",))
            end = p + 1
            while end < n and s[end] == " ":
                end += 1
            text_start = pos = end
            continue
        elif c == "\\":
            if p + 1 < n:
                d = s[p + 1]
                if d == "\n":
                    ev, end = ("brk",), p + 2
                    while end < n and s[end] == " ":
                        end += 1
                elif d in _ASCII_PUNCT:
                    ev, end = ("text", d), p + 2
        elif c == "`":
            e = p + 1
            while e < n and s[e] == "`":
                e += 1
            ticks = s[p:e]
            k = e
            close = -1
            while True:
                cpos = s.find(ticks, k)
                if cpos == -1:
                    break
                ce = cpos + len(ticks)
                if (ce < n and s[ce] == "`") or s[cpos - 1] == "`":
                    while ce < n and s[ce] == "`":
                        ce += 1
                    k = ce
                    continue
                close = cpos
                break
            if close == -1:
                ev, end = ("text", ticks), e
            else:
                content = s[e:close].replace("\n", " ")
                if len(content) > 2 and content[0] == " " and content[-1] == " " and content.strip(" "):
                    content = content[1:-1]
                ev, end = ("text", content), close + len(ticks)
        elif c == "[" or (c == "!" and p + 1 < n and s[p + 1] == "["):
            open_at = p + 1 if c == "!" else p
            if pairs is None:
                pairs = _bracket_pairs(s)
            close = pairs.get(open_at, -1)
            dm = _DEST_RE.match(s, close + 1) if close != -1 else None
            if dm is not None:
                url = dm.group(1) if dm.group(1) is not None else dm.group(2) or ""
                if not _BAD_PROTO_RE.match(url):
                    if p > text_start:
                        out.append(("text", s[text_start:p]))
                    inner = s[open_at + 1 : close]
                    sub: list = []
                    if _events(inner, sub):
                        sub = _resolve(sub)
                    if c == "!":
                        out.append(("text", "".join(e[1] for e in sub if e[0] == "text")))
                    else:
                        out.append(("lopen", _normalize_url(url)))
                        out.extend(sub)
                        out.append(("lclose",))
                    text_start = pos = dm.end()
                    continue
        elif c == "<" and s.startswith("<!--", p):
            # A comment runs to the first "-->"; without one after it, the "<" is text. Where the
            # last "-->" is is looked up once, so a line of unclosed "<!--" stays linear.
            if last_comment_end == -2:
                last_comment_end = s.rfind("-->")
            if last_comment_end >= p + 4:
                ev, end = ("tag", None), s.find("-->", p + 4) + 3
        elif c == "<":
            tm = _AUTO_OR_TAG_RE.match(s, p)
            if tm is not None and tm.group("auto") is not None:
                if p > text_start:
                    out.append(("text", s[text_start:p]))
                url = tm.group()[1:-1]
                out.append(("lopen", _normalize_url(url)))
                out.append(("text", url))
                out.append(("lclose",))
                text_start = pos = tm.end()
                continue
            if tm is not None:
                # The tag's parts as _TAG_RE reads them: (closing, name, attributes). _TAG_RE's
                # name ends at a "-", its attributes at the first ">".
                closing = tm.group("close")
                name = tm.group("name").split("-", 1)[0]
                name_end = p + 1 + len(closing) + len(name)
                ev, end = ("tag", (bool(closing), name, s[name_end : s.index(">", name_end)])), tm.end()
        elif c == "&":
            em = _ENT_RE.match(s, p)
            if em is not None:
                ev, end = ("text", html.unescape(em.group())), em.end()
        if ev is None:
            pos = p + 1
            continue
        if p > text_start:
            out.append(("text", s[text_start:p]))
        out.append(ev)
        text_start = pos = end
    if text_start < n:
        out.append(("text", s[text_start:]))
    return delims


def _resolve(events: list) -> list:
    """Match delimiter runs into strong/em (CommonMark's process_emphasis, simplified)."""
    openers: list[int] = []
    # Below this index no opener can match a closer of this kind (CommonMark's openers_bottom):
    # keeps a long run of unmatched delimiters linear.
    bottom: dict[tuple[str, bool, int], int] = {}
    for i, ev in enumerate(events):
        if ev[0] != "delim":
            continue
        if ev[5]:  # can close
            key = (ev[1], bool(ev[4]), ev[3] % 3)
            while ev[2] > 0:
                found = -1
                for k in range(len(openers) - 1, min(bottom.get(key, 0), len(openers)) - 1, -1):
                    op = events[openers[k]]
                    if op[1] != ev[1] or op[2] <= 0:
                        continue
                    if (op[5] or ev[4]) and (op[3] + ev[3]) % 3 == 0 and not (op[3] % 3 == 0 and ev[3] % 3 == 0):
                        continue
                    found = k
                    break
                if found == -1:
                    bottom[key] = len(openers)
                    break
                op = events[openers[found]]
                use = 2 if op[2] >= 2 and ev[2] >= 2 else 1
                op[2] -= use
                ev[2] -= use
                op[7].insert(0, use)
                ev[6].append(use)
                del openers[found + 1 :]
                if op[2] == 0:
                    openers.pop()
            if ev[2] > 0 and ev[4]:
                openers.append(i)
        elif ev[4]:
            openers.append(i)
    out: list = []
    for ev in events:
        if ev[0] != "delim":
            out.append(ev)
            continue
        for use in ev[6]:
            if use == 2:
                out.append(("bclose",))
        if ev[2] > 0:
            out.append(("text", ev[1] * ev[2]))
        for use in ev[7]:
            if use == 2:
                out.append(("bopen",))
    return out


def render_inline(s: str, col: _Collector) -> None:
    """Feed the inline markdown of s to a collector."""
    if _NEXT_RE.search(s) is None:
        col.data(s)
        return
    events: list = []
    if _events(s, events):
        events = _resolve(events)
    for e in events:
        k = e[0]
        if k == "text":
            col.data(e[1])
        elif k == "soft":
            col.data(" ")
        elif k == "brk":
            col.brk()
        elif k == "bopen":
            col.bold_open()
        elif k == "bclose":
            col.bold_close()
        elif k == "lopen":
            col.link_open(e[1])
        elif k == "lclose":
            col.link_close()
        elif k == "tag":
            if e[1] is not None:
                col.tag(*e[1])


# --------------------------------------------------------------------------------------------
# Blocks
# --------------------------------------------------------------------------------------------

# An ATX heading's opening: up to 3 spaces, 1-6 "#", then a space, a tab or the line's end. Its
# text is found by _atx (a regex that finds it, with a lazy capture before the optional closing
# "#"s, costs a backtracking step per character).
_ATX_OPEN_RE = re.compile(r" {0,3}(#{1,6})(?=[ \t]|$)")
_FENCE_RE = re.compile(r"^( {0,3})(`{3,}|~{3,})(.*)$")
_HR_RE = re.compile(r"^ {0,3}(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$")
_SETEXT_RE = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_BULLET_RE = re.compile(r"^( {0,3})([-*+]|\d{1,9}[.)])([ \t]+|$)")
_QUOTE_RE = re.compile(r"^ {0,3}> ?")
_HTML1_RE = re.compile(r"^ {0,3}<(pre|script|style|textarea)(?:\s|>|$)", re.I)
_HTML1_END_RE = re.compile(r"</(?:pre|script|style|textarea)>", re.I)
_HTML_BLOCK_TAGS = (
    "address|article|aside|base|basefont|blockquote|body|caption|center|col|colgroup|dd|details|dialog|dir|div|dl|dt"
    "|fieldset|figcaption|figure|footer|form|frame|frameset|h1|h2|h3|h4|h5|h6|head|header|hr|html|iframe|legend|li"
    "|link|main|menu|menuitem|nav|noframes|ol|optgroup|option|p|param|search|section|summary|table|tbody|td|tfoot"
    "|th|thead|title|tr|track|ul"
)
_HTML6_RE = re.compile(rf"^ {{0,3}}</?(?:{_HTML_BLOCK_TAGS})(?:\s|/?>|$)", re.I)
_HTML7_RE = re.compile(
    r"^ {0,3}(?:<[A-Za-z][A-Za-z0-9-]*(?:\s+[A-Za-z_:][\w.:-]*(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'=<>`]+))?)*\s*/?>"
    r"|</[A-Za-z][A-Za-z0-9-]*\s*>)\s*$"
)
_DELIM_CELL_RE = re.compile(r"^\s*:?-+:?\s*$")


def _atx(line: str) -> tuple[int, str] | None:
    """(level, text) of an ATX heading line, or None: the text without the spaces around it and
    without a closing sequence (spaces and/or tabs, then "#"s, at the end); "" when the line holds
    only the opening (and a closing) sequence."""
    m = _ATX_OPEN_RE.match(line)
    if m is None:
        return None
    level = len(m.group(1))
    text = line[m.end() :].strip(" \t")
    if not text.strip("#"):
        return level, ""  # "##", "## ##": no text
    before_close = text.rstrip("#")
    if before_close != text and before_close[-1] in " \t":
        text = before_close.rstrip(" \t")
    return level, text


def _indent(line: str) -> int:
    n = 0
    for c in line:
        if c == " ":
            n += 1
        elif c == "\t":
            n += 4 - n % 4
        else:
            break
    return n


def _is_blank(line: str) -> bool:
    return not line.strip(" \t")


def _split_row(line: str) -> list[str]:
    """Cells of a pipe-table row: split at unescaped pipes (a pipe inside a code span splits too,
    as GFM says), outer pipes dropped."""
    s = line.strip()
    if s.startswith("|"):
        s = s[1:]
    if s.endswith("|") and not s.endswith("\\|"):
        s = s[:-1]
    if "\\|" not in s:  # no escaped pipe: every pipe splits
        return [c.strip() for c in s.split("|")]
    cells: list[str] = []
    cur: list[str] = []
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        if c == "\\" and i + 1 < n and s[i + 1] == "|":
            cur.append("|")
            i += 2
            continue
        if c == "|":
            cells.append("".join(cur).strip())
            cur = []
        else:
            cur.append(c)
        i += 1
    cells.append("".join(cur).strip())
    return cells


def _delimiter_row(line: str) -> int:
    """Number of columns of a table delimiter row, or 0 when the line is none."""
    if "-" not in line or ("|" not in line and ":" not in line):
        return 0
    cells = _split_row(line)
    if not cells or not all(_DELIM_CELL_RE.match(c) for c in cells):
        return 0
    return len(cells)


def _interrupts_paragraph(line: str) -> bool:
    s = line.lstrip(" ")
    if not s or len(line) - len(s) > 3:
        return False
    c = s[0]
    if c == "#":
        return _atx(line) is not None
    if c in "`~":
        return bool(_FENCE_RE.match(line))
    if c == ">":
        return True
    if c == "<":
        return bool(_HTML1_RE.match(line) or _HTML6_RE.match(line) or line.lstrip().startswith("<!--"))
    if c in "-*_" and _HR_RE.match(line):
        return True
    if c in "-*+":
        m = _BULLET_RE.match(line)
        return bool(m and m.group(3) and not _is_blank(line[m.end() :]))
    if c == "1":
        m = _BULLET_RE.match(line)
        return bool(m and m.group(2)[:-1] == "1" and m.group(3) and not _is_blank(line[m.end() :]))
    return False


def _inline_block(kind: str, content: str, start: int, end: int, level: int = 0) -> Block:
    if _NEXT_RE.search(content) is None:  # no markup: one part, the squashed text (what a collector gives)
        return Block(kind, start, end, text=_squash(content), raw=content, links=[], level=level)
    col = _Collector()
    render_inline(content, col)
    parts, _bolds, links = col.finish()
    sep = " " if kind == "heading" else "\n"
    return Block(kind, start, end, text=sep.join(parts), raw=content, links=links, level=level)


def _cell(content: str, header: bool) -> Cell:
    if _NEXT_RE.search(content) is None:  # no markup: at most one part (what a collector gives)
        q = _squash(content)
        return Cell(q, [q] if q else [], [], [], header)
    col = _Collector()
    render_inline(content, col)
    return col.cell(header)


def _container(parts_src: list[tuple[str, str]], raw: str, start: int, end: int) -> Block:
    """A list or block quote: one part per item or paragraph ("- " before an item's first)."""
    col = _Collector()
    for kind, content in parts_src:
        if kind == "item":
            col.brk()
            col.data("- ")
        elif kind == "html":
            _render_html_fragment(content, col)
            col.brk()
        else:
            render_inline(content, col)
            col.brk()
    parts, _bolds, links = col.finish()
    parts = [_ALERT_RE.sub(lambda m: m.group(1).capitalize() + ": ", p) for p in parts]
    return Block("text", start, end, text="\n".join(p for p in parts if p.strip(" -:")), raw=raw, links=links)


# A line that may close the front matter: "..." or a line of dashes (group 1; as many as the
# opening line has, or more) indented by less than 4 columns, spaces or tabs after either. (Matched
# with the "\n" before it: a literal the engine finds fast, where "^" is tried at every position.)
_FM_CLOSE_RE = re.compile(r"\n(?:\.\.\.| {0,3}(-+))[ \t]*$", re.M)


def _front_matter(text: str, lines: list[str]) -> FrontMatter | None:
    first = lines[0] if lines else ""
    if not first.startswith("---"):
        return None
    count = len(first) - len(first.lstrip("-"))
    for m in _FM_CLOSE_RE.finditer(text, len(first)):
        dashes = m.group(1)
        if dashes is None or len(dashes) >= count:
            k = text.count("\n", 0, m.start()) + 1  # the closing line's index
            return FrontMatter("\n".join(lines[1:k]), 1, k + 1)
    return None


def _paragraph_lines(lines: list[str], i: int, n: int) -> int:
    """Index after the last line of the paragraph starting at i."""
    j = i + 1
    while j < n:
        ln = lines[j]
        if _is_blank(ln) or _interrupts_paragraph(ln):
            break
        if "|" in ln or "-" in ln:
            if j + 1 < n and "|" in ln and _delimiter_row(lines[j + 1]) and _delimiter_row(lines[j + 1]) == len(_split_row(ln)):
                break
        j += 1
    return j


def _list_or_quote(lines: list[str], i: int, n: int, quote: bool) -> tuple[int, list[tuple[str, str]]]:
    """(index after the block, its parts) for a list or block quote starting at i."""
    parts: list[tuple[str, str]] = []
    j = i
    if quote:
        para: list[str] = []
        while j < n:
            ln = lines[j]
            m = _QUOTE_RE.match(ln)
            if m:
                body = ln[m.end() :]
            elif para and not _is_blank(ln) and not _interrupts_paragraph(ln):
                body = ln  # lazy continuation
            else:
                break
            if _is_blank(body):
                if para:
                    parts.append(("text", "\n".join(para)))
                    para = []
            else:
                para.append(body.strip())
            j += 1
        if para:
            parts.append(("text", "\n".join(para)))
        return j, parts
    m0 = _BULLET_RE.match(lines[i])
    assert m0 is not None
    ordered = m0.group(2)[-1] in ".)"
    marker_char = m0.group(2)[-1]
    para = []
    content_indent = 0
    last_content = i
    blank_before = False
    while j < n:
        ln = lines[j]
        m = _BULLET_RE.match(ln)
        same = m is not None and (m.group(2)[-1] == marker_char) and (ordered == (m.group(2)[-1] in ".)")) and _indent(ln) < max(content_indent, 1)
        if m is not None and (j == i or (same and not _HR_RE.match(ln))):
            if para:
                parts.append(("text", "\n".join(para)))
                para = []
            parts.append(("item", ""))
            rest = ln[m.end() :]
            content_indent = len(m.group(1)) + len(m.group(2)) + max(1, min(len(m.group(3).expandtabs(4)), 4) if rest.strip() else 1)
            if rest.strip():
                para.append(rest.strip())
            last_content = j
            blank_before = False
            j += 1
            continue
        if _is_blank(ln):
            if para:
                parts.append(("text", "\n".join(para)))
                para = []
            blank_before = True
            j += 1
            continue
        ind = _indent(ln)
        if ind >= content_indent:
            s = ln.strip()
            if s.startswith("<") and not para:
                parts.append(("html", s))
            else:
                para.append(s)
            last_content = j
            blank_before = False
            j += 1
            continue
        if not blank_before and para and not _interrupts_paragraph(ln):
            para.append(ln.strip())  # lazy continuation
            last_content = j
            j += 1
            continue
        break
    if para:
        parts.append(("text", "\n".join(para)))
    return last_content + 1, parts


def scan_source(text: str, lines: list[str] | None = None) -> RawPage:
    """The raw page of a source-form page (text already with \\n line ends and no BOM)."""
    if lines is None:
        lines = text.split("\n")
    n = len(lines)
    if n and lines[-1] == "":
        n -= 1
    fm = _front_matter(text, lines)
    blocks: list[Block] = []
    unclosed: list[tuple[int, str]] = []
    h1 = ""
    i = fm.end if fm is not None else 0
    while i < n:
        ln = lines[i]
        if not ln.strip(" \t"):  # blank (_is_blank)
            i += 1
            continue
        ind = _indent(ln) if ln[0] in " \t" else 0
        start = i + 1
        if ind >= 4:
            # Indented code: legacy pages indent HTML paragraphs with tabs; kept as HTML.
            j = i + 1
            last = i
            while j < n and (_is_blank(lines[j]) or _indent(lines[j]) >= 4):
                if not _is_blank(lines[j]):
                    last = j
                j += 1
            body = "\n".join(_dedent4(x) for x in lines[i : last + 1]) + "\n"
            blocks.append(Block("html", start, last + 1, raw=body))
            i = last + 1
            continue
        s = ln[ind:] if "\t" not in ln[:ind] else ln.lstrip(" \t")
        c = s[0]
        if c == "#":
            atx = _atx(ln)
            if atx is not None:
                level = atx[0]
                b = _inline_block("heading", atx[1].strip(), start, start, level)
                blocks.append(b)
                if level == 1 and not h1:
                    h1 = b.text
                i += 1
                continue
        if c in "`~":
            m = _FENCE_RE.match(ln)
            if m and not (m.group(2)[0] == "`" and "`" in m.group(3)):
                fence = m.group(2)
                j = i + 1
                while j < n:
                    t = lines[j].lstrip(" ")
                    if _indent(lines[j]) < 4 and t.startswith(fence[0] * len(fence)) and _is_blank(t.lstrip(fence[0])):
                        break
                    j += 1
                if j >= n:
                    unclosed.append((start, f"code fence {fence}"))
                strip = len(m.group(1))
                content = "".join(_strip_spaces(x, strip) + "\n" for x in lines[i + 1 : min(j, n)])
                end = min(j, n - 1) + 1 if j < n else n
                blocks.append(Block("code", start, end, text=content.rstrip("\n"), raw=content))
                i = j + 1
                continue
        if c == "<":
            html1 = _HTML1_RE.match(ln)
            if html1 or s.startswith("<!--"):
                end_re = _HTML1_END_RE if not s.startswith("<!--") else re.compile("-->")
                j = i
                while j < n and not end_re.search(lines[j]):
                    j += 1
                if j >= n:
                    unclosed.append((start, f"HTML <{html1.group(1).lower()}>" if html1 else "HTML comment <!--"))
                j = min(j, n - 1)
                blocks.append(Block("html", start, j + 1, raw="\n".join(lines[i : j + 1]) + "\n"))
                i = j + 1
                continue
            if _HTML6_RE.match(ln) or _HTML7_RE.match(ln):
                j = i + 1
                while j < n and not _is_blank(lines[j]):
                    j += 1
                blocks.append(Block("html", start, j, raw="\n".join(lines[i:j]) + "\n"))
                i = j
                continue
        if c == ">":
            j, parts = _list_or_quote(lines, i, n, quote=True)
            raw = "\n".join(p for k, p in parts if k == "text")
            blocks.append(_container(parts, raw, start, j))
            i = j
            continue
        if c in "-*_" and _HR_RE.match(ln):
            i += 1
            continue
        if c in "-*+" or c.isdigit():
            m = _BULLET_RE.match(ln)
            if m:
                j, parts = _list_or_quote(lines, i, n, quote=False)
                raw = "\n".join(p for k, p in parts if k != "item")
                blocks.append(_container(parts, raw, start, j))
                i = j
                continue
        if "|" in ln and i + 1 < n:
            cols = _delimiter_row(lines[i + 1])
            head = _split_row(ln)
            if cols and cols == len(head):
                j = i + 2
                rows: list[Row] = []
                while j < n and not _is_blank(lines[j]) and "|" in lines[j] and not _interrupts_paragraph(lines[j]):
                    cells = _split_row(lines[j])
                    cells = (cells + [""] * cols)[:cols]
                    rows.append(Row([_cell(x, False) for x in cells], j + 1, j + 1))
                    j += 1
                header_cells = [_cell(x, True) for x in head]
                table = Table([x.text.replace("\n", " ") for x in header_cells], rows, start, j)
                blocks.append(Block("table", start, j, table=table))
                i = j
                continue
        # Paragraph (or a setext heading).
        j = i + 1
        setext = 0
        while j < n:
            t = lines[j]
            if _is_blank(t):
                break
            sm = _SETEXT_RE.match(t)
            if sm:
                setext = 1 if sm.group(1)[0] == "=" else 2
                break
            if _interrupts_paragraph(t):
                break
            if "|" in t and j + 1 < n and _delimiter_row(lines[j + 1]) and _delimiter_row(lines[j + 1]) == len(_split_row(t)):
                break
            j += 1
        if j == i + 1:  # one line (most paragraphs)
            content = ln.strip(" \t")
        else:
            content = "\n".join(x.strip(" \t") if k else x.lstrip(" \t") for k, x in enumerate(lines[i:j]))
            content = _strip_trailing(content)
        if setext:
            b = _inline_block("heading", content, start, j + 1, setext)
            blocks.append(b)
            if setext == 1 and not h1:
                h1 = b.text
            i = j + 1
            continue
        blocks.append(_inline_block("text", content, start, j))
        i = j
    return RawPage(text, lines, fm, blocks, h1, unclosed)


def _strip_trailing(s: str) -> str:
    return s.rstrip(" \t")


def _strip_spaces(line: str, k: int) -> str:
    j = 0
    while j < k and j < len(line) and line[j] == " ":
        j += 1
    return line[j:]


def _dedent4(line: str) -> str:
    col = 0
    for idx, c in enumerate(line):
        if col >= 4:
            return line[idx:]
        if c == " ":
            col += 1
        elif c == "\t":
            col += 4 - col % 4
        else:
            return line[idx:]
    return ""
