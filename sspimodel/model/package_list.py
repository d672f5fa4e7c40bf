"""Negotiate's package list: the PackageList of SEC_WINNT_AUTH_IDENTITY_EX(W) / _EX2.

Facts (recorded with their sources in tests/data/package_list_facts.json):

- the structure's reference page (ns-sspi-sec_winnt_auth_identity_exw, PackageList member) calls
  the member a comma-separated list of the names of the security packages available when the
  Negotiate provider is used, and gives "!ntlm" as the way to say that NTLM is not to be used;
- ntsecpkg.h's SECPKG_CREDENTIAL page says its PackageList matters to SPNego only. So only
  Negotiate reads the list: credentials of NTLM, Kerberos or Digest ignore it (the model keeps no
  list for them).

Interpretations (the page says no more than the above):

- entries are split on ',', spaces and tabs around a name are dropped, and empty entries are
  skipped (",NTLM,," and " NTLM " read as "NTLM"); other characters are part of the name;
- names compare without regard to the case of ASCII letters. Not documented: the page's own
  example writes "!ntlm" for the package named NTLM, and public callers write both "!ntlm" and
  "!NTLM". Package names are ASCII, so a name that matches one only under Unicode case folding
  (a Kelvin sign for the K of Kerberos) names none;
- a list with at least one name without '!' allows only the packages it names; a list of
  '!name' entries only allows every package but those; '!name' wins over 'name';
- a name of no package Negotiate negotiates (an unknown name, or Digest, which Negotiate does
  not select) matches nothing: '!Foo' excludes nothing, 'Foo' allows nothing. It is not refused;
- the list chooses which packages, not their order: Negotiate keeps its own preference
  (:data:`NEGOTIABLE`, Kerberos first).

The list is kept in the credentials record (``CredRecord.package_list``); a record AddCredentials
rebuilds keeps it, and the PackageList of AddCredentials' own pAuthData is not read
(interpretation: AddCredentials adds one package's credentials; the list AcquireCredentialsHandle
was given still restricts Negotiate, and only AcquireCredentialsHandle reads one).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from attrs import frozen

if TYPE_CHECKING:
    from .world import CredRecord

__all__ = ["NEGOTIABLE", "PackageList", "allowed", "of", "parse"]

# The packages the model's Negotiate selects from, in its order of preference (Kerberos when the
# KDC can be reached and the target is a known service principal, else NTLM).
NEGOTIABLE: tuple[str, ...] = ("Kerberos", "NTLM")


@frozen
class PackageList:
    """A PackageList as Negotiate reads it.

    ``text``: the string as given; ``allowed``: the packages of :data:`NEGOTIABLE` it leaves to
    Negotiate, in Negotiate's order; ``unmatched``: the names (without '!') that match no package
    Negotiate negotiates, in list order."""

    text: str
    allowed: tuple[str, ...]
    unmatched: tuple[str, ...] = ()

    def describe(self) -> str:
        allowed = ", ".join(self.allowed) if self.allowed else "no package"
        extra = f"; {', '.join(map(repr, self.unmatched))} name no package Negotiate uses" if self.unmatched else ""
        return f"PackageList {self.text!r} leaves Negotiate {allowed}{extra}"


_BLANKS = " \t"  # what is dropped around a name: spaces and tabs, nothing else


def _canonical(name: str) -> str | None:
    # Case is folded for ASCII letters only (package names are ASCII): a name that matches only
    # under Unicode folding (the Kelvin sign for K) names no package.
    if not name.isascii():
        return None
    folded = name.lower()
    for package in NEGOTIABLE:
        if package.lower() == folded:
            return package
    return None


def parse(text: str) -> PackageList:
    """Read a PackageList string (see the module's interpretations)."""
    named: set[str] = set()
    excluded: set[str] = set()
    positive = False
    unmatched: list[str] = []
    for raw in text.split(","):
        entry = raw.strip(_BLANKS)
        negated = entry.startswith("!")
        name = entry[1:].strip(_BLANKS) if negated else entry
        if not name:
            continue
        package = _canonical(name)
        if package is None:
            unmatched.append(name)
        if negated:
            if package is not None:
                excluded.add(package)
        else:
            positive = True
            if package is not None:
                named.add(package)
    base = named if positive else set(NEGOTIABLE)
    return PackageList(text, tuple(p for p in NEGOTIABLE if p in base and p not in excluded), tuple(unmatched))


def of(cred: CredRecord | None) -> PackageList | None:
    """The package list the credentials were acquired with (None: none was given)."""
    return None if cred is None else cred.package_list


def allowed(cred: CredRecord | None) -> tuple[str, ...]:
    """The packages Negotiate may select for these credentials, in its order of preference."""
    plist = of(cred)
    return NEGOTIABLE if plist is None else plist.allowed
