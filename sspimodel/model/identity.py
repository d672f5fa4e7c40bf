"""Auth identities: the Sspi*AuthIdentity family of sspi.h, and the structures it works on.

What crosses the API:

- :class:`~sspimodel.model.structs.SecWinntAuthIdentity` (SEC_WINNT_AUTH_IDENTITY_W / _A, the
  caller's own structure, already used by AcquireCredentialsHandle) and
  :class:`SecWinntAuthIdentityExW` (SEC_WINNT_AUTH_IDENTITY_EXW, version 0x200, with a package
  list): structures the caller builds; the functions read them;
- :class:`AuthIdentityBuffer`: a ``PSEC_WINNT_AUTH_IDENTITY_OPAQUE`` the functions allocate.
  Its memory is a packed SEC_WINNT_AUTH_IDENTITY_EX2 (version 0x201): the 48-byte header laid
  out as sspi.h declares the structure (:data:`EX2_HEADER`, natural alignment), followed by the
  user name, the domain name, the packed credentials and the package list, each UTF-16LE without
  a terminating NUL, at the offsets and byte lengths the header gives. Its bytes are what
  SspiMarshalAuthIdentity returns, so marshalled bytes round-trip exactly. The buffer is
  recorded in the calling process's allocation table (``world.leaks()`` lists it until
  SspiFreeAuthIdentity or SspiLocalFree releases it).

*Interpretation* (the pages call the third string "an encoded string version of a
SEC_WINNT_AUTH_IDENTITY_EX2 structure that specifies the user's credentials" and say no more):
for a password identity the packed credentials string is the password itself; AcquireCredentialsHandle
takes it as the password.

Encryption (SspiEncryptAuthIdentity(Ex), SspiDecryptAuthIdentity(Ex)) replaces the packed
credentials by ``nonce || sealed credentials || tag`` (a keyed-BLAKE2s keystream and an
HMAC-SHA256 tag: a simulation of sealing, as the model's EncryptMessage is) and sets a flag of the header saying
how the identity is bound (the flag names are sspi.h's; which option sets which flag is an
interpretation recorded in tests/data/auth_identity_facts.json):

- SEC_WINNT_AUTH_IDENTITY_ENCRYPT_SAME_PROCESS -> SEC_WINNT_AUTH_IDENTITY_FLAGS_PROCESS_ENCRYPTED,
  key derived from the world key and the process id ("can only be decrypted by the same process");
- SEC_WINNT_AUTH_IDENTITY_ENCRYPT_SAME_LOGON -> SEC_WINNT_AUTH_IDENTITY_FLAGS_USER_PROTECTED
  (SYSTEM_PROTECTED when the caller runs as SYSTEM), key derived from the logon session's LUID
  ("can only be decrypted by a security context in the same logon session").

Keys and nonces come from the world (its key, the process or session, the call's index), so
the same calls in a fresh world give the same bytes. A process or session other than the one
an identity is bound to cannot decrypt it: the tag does not verify.

Statuses: the pages document SEC_E_OK and, for failure, only "a nonzero error code" (except
SspiEncodeAuthIdentityAsStrings' STATUS_INVALID_PARAMETER). *Interpretation*, as
FreeContextBuffer does: a call the model must refuse raises ContractError naming the parameter
and what is wrong, instead of a status the pages do not name.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from typing import Any

from attrs import frozen

from .common import CONTRACT_ERROR
from .constants import SEC_WINNT_AUTH_IDENTITY_ANSI, SEC_WINNT_AUTH_IDENTITY_UNICODE
from .handles import AllocatedBytes, AllocatedStr, _hex
from .rules import Call, Citation, Interpretation, Rule, pick, register, unreachable
from .structs import SecWinntAuthIdentity
from .wchar import unpaired_surrogate
from .wchar import utf16 as _utf16

__all__ = [
    "EX2_HEADER",
    "VALUE_RETURNS",
    "AuthIdentityBuffer",
    "Ex2",
    "SecWinntAuthIdentityExW",
    "as_winnt_identity",
    "ex2_overflow",
    "ex2_unpaired",
    "pack_ex2",
    "package_list_of",
    "parse_ex2",
    "unpaired_rule",
]

# sspi.h values (spec/data/constants.tsv; the Windows SDK header, absent from mingw-w64 10.0.0).
SEC_WINNT_AUTH_IDENTITY_VERSION = 0x200
SEC_WINNT_AUTH_IDENTITY_VERSION_2 = 0x201
SEC_WINNT_AUTH_IDENTITY_ENCRYPT_SAME_LOGON = 0x1
SEC_WINNT_AUTH_IDENTITY_ENCRYPT_SAME_PROCESS = 0x2
SEC_WINNT_AUTH_IDENTITY_ENCRYPT_FOR_SYSTEM = 0x4
SEC_WINNT_AUTH_IDENTITY_FLAGS_PROCESS_ENCRYPTED = 0x10
SEC_WINNT_AUTH_IDENTITY_FLAGS_SYSTEM_PROTECTED = 0x20
SEC_WINNT_AUTH_IDENTITY_FLAGS_USER_PROTECTED = 0x40
SEC_WINNT_AUTH_IDENTITY_FLAGS_SYSTEM_ENCRYPTED = 0x80
ENCRYPTED_FLAGS = (
    SEC_WINNT_AUTH_IDENTITY_FLAGS_PROCESS_ENCRYPTED
    | SEC_WINNT_AUTH_IDENTITY_FLAGS_SYSTEM_PROTECTED
    | SEC_WINNT_AUTH_IDENTITY_FLAGS_USER_PROTECTED
    | SEC_WINNT_AUTH_IDENTITY_FLAGS_SYSTEM_ENCRYPTED
)
_SAME_LOGON_FLAGS = (
    SEC_WINNT_AUTH_IDENTITY_FLAGS_USER_PROTECTED | SEC_WINNT_AUTH_IDENTITY_FLAGS_SYSTEM_PROTECTED
)

# SEC_WINNT_AUTH_IDENTITY_EX2 as sspi.h declares it: Version (ULONG), cbHeaderLength (USHORT),
# cbStructureLength, UserOffset (ULONG), UserLength (USHORT), DomainOffset, DomainLength,
# PackedCredentialsOffset, PackedCredentialsLength, Flags, PackageListOffset, PackageListLength;
# every ULONG aligned on 4 bytes, so each USHORT is followed by 2 bytes of padding: 48 bytes.
EX2_HEADER = struct.Struct("<IH2xIIH2xIH2xIH2xIIH2x")
_NONCE = 12
_TAG = 16


@frozen(repr=False)
class SecWinntAuthIdentityExW:
    """SEC_WINNT_AUTH_IDENTITY_EXW: Version 0x200, user, domain, password, flags, package list."""

    User: str
    Password: str
    Domain: str | None = None
    Flags: int = SEC_WINNT_AUTH_IDENTITY_UNICODE
    PackageList: str | None = None
    Version: int = SEC_WINNT_AUTH_IDENTITY_VERSION

    def __repr__(self) -> str:
        return (
            f"SecWinntAuthIdentityExW(User={self.User!r}, Domain={self.Domain!r}, Password='***', "
            f"PackageList={self.PackageList!r})"
        )


@frozen
class Ex2:
    """The fields of a SEC_WINNT_AUTH_IDENTITY_EX2, decoded (``packed``: raw bytes, maybe encrypted)."""

    user: str
    domain: str
    packed: bytes
    flags: int
    package_list: str

    @property
    def encrypted(self) -> bool:
        return bool(self.flags & ENCRYPTED_FLAGS)

    @property
    def password(self) -> str:
        return self.packed.decode("utf-16-le", "surrogatepass")  # the inverse of _utf16


_EX2_PARTS = ("user name", "domain name", "packed credentials", "package list")


def ex2_overflow(user: str, domain: str, packed: bytes | int, package_list: str = "") -> str | None:
    """What of these fields does not fit a SEC_WINNT_AUTH_IDENTITY_EX2 (its lengths are USHORTs),
    as a sentence, or None when all fit. ``packed`` may be given as its length."""
    sizes = (
        len(_utf16(user)),
        len(_utf16(domain)),
        packed if isinstance(packed, int) else len(packed),
        len(_utf16(package_list)),
    )
    for size, what in zip(sizes, _EX2_PARTS, strict=True):
        if size > 0xFFFF:
            return f"the {what} would be {size} bytes; an EX2 length field holds at most 65535"
    return None


def pack_ex2(user: str, domain: str, packed: bytes, flags: int, package_list: str = "") -> bytes:
    """The packed SEC_WINNT_AUTH_IDENTITY_EX2: header, then user, domain, credentials, package list.

    Callers check :func:`ex2_overflow` first (a rule refuses what does not fit); a field that
    does not fit here is a bug of the model, hence ValueError."""
    parts = [_utf16(user), _utf16(domain), packed, _utf16(package_list)]
    problem = ex2_overflow(user, domain, packed, package_list)
    if problem is not None:
        raise ValueError(problem)
    offsets = []
    at = EX2_HEADER.size
    for part in parts:
        offsets.append(at if part else 0)
        at += len(part)
    header = EX2_HEADER.pack(
        SEC_WINNT_AUTH_IDENTITY_VERSION_2,
        EX2_HEADER.size,
        at,
        offsets[0],
        len(parts[0]),
        offsets[1],
        len(parts[1]),
        offsets[2],
        len(parts[2]),
        flags,
        offsets[3],
        len(parts[3]),
    )
    return header + b"".join(parts)


def parse_ex2(data: bytes) -> Ex2 | str:
    """The fields of packed EX2 bytes, or a sentence saying what is wrong with them."""
    if len(data) < EX2_HEADER.size:
        return (
            f"{len(data)} bytes are fewer than the {EX2_HEADER.size}-byte SEC_WINNT_AUTH_IDENTITY_EX2 header"
        )
    (version, header_len, total, uo, ul, do, dl, po, pl, flags, lo, ll) = EX2_HEADER.unpack_from(data)
    if version != SEC_WINNT_AUTH_IDENTITY_VERSION_2:
        return f"Version is {version:#x}, not SEC_WINNT_AUTH_IDENTITY_VERSION_2 (0x201)"
    if header_len != EX2_HEADER.size:
        return f"cbHeaderLength is {header_len}, not {EX2_HEADER.size}"
    if total < EX2_HEADER.size or total > len(data):
        return f"cbStructureLength is {total}, outside {EX2_HEADER.size}..{len(data)} (the bytes given)"
    fields = []
    for name, offset, length in (
        ("User", uo, ul),
        ("Domain", do, dl),
        ("PackedCredentials", po, pl),
        ("PackageList", lo, ll),
    ):
        if length == 0:
            fields.append(b"")
            continue
        if offset < EX2_HEADER.size or offset + length > total:
            return (
                f"{name}Offset {offset} and {name}Length {length} fall outside the structure ({total} bytes)"
            )
        fields.append(bytes(data[offset : offset + length]))
    texts = []
    for name, raw in (("User", fields[0]), ("Domain", fields[1]), ("PackageList", fields[3])):
        if len(raw) % 2:
            return f"{name}Length {len(raw)} is odd: a UTF-16 string has an even number of bytes"
        try:
            texts.append(raw.decode("utf-16-le"))
        except UnicodeDecodeError:
            return f"the {name} bytes are not UTF-16LE text"
    if not flags & ENCRYPTED_FLAGS:
        if len(fields[2]) % 2:
            return f"PackedCredentialsLength {len(fields[2])} is odd: a UTF-16 string has an even number of bytes"
        try:
            fields[2].decode("utf-16-le")
        except UnicodeDecodeError:
            return "the PackedCredentials bytes are not UTF-16LE text"
    elif len(fields[2]) < _NONCE + _TAG:
        return (
            f"the encrypted PackedCredentials are {len(fields[2])} bytes, too short to hold a nonce and a tag"
        )
    return Ex2(texts[0], texts[1], fields[2], flags, texts[2])


class AuthIdentityBuffer:
    """A ``PSEC_WINNT_AUTH_IDENTITY_OPAQUE`` the Sspi* functions allocated: packed EX2 bytes at an address.

    ``data`` is the memory (a bytearray: SspiEncryptAuthIdentity, SspiDecryptAuthIdentity and
    SspiZeroAuthIdentity change it in place). The repr never shows the credentials.
    """

    __slots__ = ("address", "data")

    def __init__(self, data: bytes, address: int) -> None:
        self.data = bytearray(data)
        self.address = address

    def fields(self) -> Ex2 | str:
        return parse_ex2(bytes(self.data))

    def __repr__(self) -> str:
        f = self.fields()
        if isinstance(f, str):
            return f"AuthIdentityBuffer({_hex(self.address)}, invalid: {f})"
        state = "encrypted" if f.encrypted else "clear"
        who = f"{f.domain}\\{f.user}" if f.domain else f.user
        extra = f", packages={f.package_list!r}" if f.package_list else ""
        return f"AuthIdentityBuffer({_hex(self.address)}, {who!r}, {state}, Flags={f.flags:#x}{extra})"


def _is_identity(value: object) -> bool:
    return isinstance(value, AuthIdentityBuffer | SecWinntAuthIdentity | SecWinntAuthIdentityExW)


def _ex2_of(value: Any) -> Ex2 | str:
    """The EX2 fields of any identity the family reads (a caller's structure is converted)."""
    if isinstance(value, AuthIdentityBuffer):
        return value.fields()
    if isinstance(value, SecWinntAuthIdentity | SecWinntAuthIdentityExW):
        if not isinstance(value.User, str) or not isinstance(value.Password, str):
            return "User and Password must be strings"
        if value.Domain is not None and not isinstance(value.Domain, str):
            return "Domain must be a string or NULL"
        packages = getattr(value, "PackageList", None) or ""
        if not isinstance(packages, str):
            return "PackageList must be a string or NULL"
        flags = value.Flags if isinstance(value.Flags, int) else SEC_WINNT_AUTH_IDENTITY_UNICODE
        flags &= ~SEC_WINNT_AUTH_IDENTITY_ANSI
        return Ex2(
            value.User,
            value.Domain or "",
            _utf16(value.Password),
            flags | SEC_WINNT_AUTH_IDENTITY_UNICODE,
            packages,
        )
    return f"a {type(value).__name__} is not an identity structure"


# -- encryption -------------------------------------------------------------------------------


def _scope_key(world: Any, process: Any, flags: int) -> bytes:
    if flags & SEC_WINNT_AUTH_IDENTITY_FLAGS_PROCESS_ENCRYPTED:
        return world.derive("auth identity", "same process", str(process.pid))
    luid = process.luid
    return world.derive("auth identity", "same logon", f"{luid.LowPart:x}.{luid.HighPart:x}")


def _encrypt(c: Call, fields: Ex2, option: int) -> bytes:
    if option == SEC_WINNT_AUTH_IDENTITY_ENCRYPT_SAME_PROCESS:
        flag = SEC_WINNT_AUTH_IDENTITY_FLAGS_PROCESS_ENCRYPTED
    else:
        system = c.process.luid.LowPart == 0x3E7 and c.process.luid.HighPart == 0
        flag = (
            SEC_WINNT_AUTH_IDENTITY_FLAGS_SYSTEM_PROTECTED
            if system
            else SEC_WINNT_AUTH_IDENTITY_FLAGS_USER_PROTECTED
        )
    flags = fields.flags | flag
    key = _scope_key(c.world, c.process, flags)
    nonce = c.world.derive("auth identity nonce", str(c.index))[:_NONCE]
    sealed = nonce + _seal(key, nonce, fields.packed, _aad(fields))
    return pack_ex2(fields.user, fields.domain, sealed, flags, fields.package_list)


def _keystream(key: bytes, nonce: bytes, n: int) -> bytes:
    blocks = (n + 31) // 32
    return b"".join(hashlib.blake2s(nonce + i.to_bytes(4, "big"), key=key).digest() for i in range(blocks))[
        :n
    ]


def _seal(key: bytes, nonce: bytes, clear: bytes, aad: bytes) -> bytes:
    """Keystream XOR (keyed BLAKE2s in counter mode) then a 16-byte HMAC-SHA256 tag over nonce,
    aad and ciphertext: a simulation of sealing, like the model's EncryptMessage, not cryptography."""
    body = bytes(a ^ b for a, b in zip(clear, _keystream(key, nonce, len(clear)), strict=True))
    tag = hmac.new(key, nonce + len(aad).to_bytes(4, "big") + aad + body, hashlib.sha256).digest()[:_TAG]
    return body + tag


def _unseal(key: bytes, nonce: bytes, sealed: bytes, aad: bytes) -> bytes | None:
    body, tag = sealed[:-_TAG], sealed[-_TAG:]
    want = hmac.new(key, nonce + len(aad).to_bytes(4, "big") + aad + body, hashlib.sha256).digest()[:_TAG]
    if not hmac.compare_digest(tag, want):
        return None
    return bytes(a ^ b for a, b in zip(body, _keystream(key, nonce, len(body)), strict=True))


def _aad(fields: Ex2) -> bytes:
    # The user and domain are bound to the sealed credentials: changing them breaks decryption.
    return _utf16(fields.user) + b"\x00\x00" + _utf16(fields.domain)


def _open(c: Call, fields: Ex2) -> Ex2 | None:
    """The identity in clear, or None when the caller's process or session cannot decrypt it."""
    if not fields.encrypted:
        return fields
    key = _scope_key(c.world, c.process, fields.flags)
    nonce, sealed = fields.packed[:_NONCE], fields.packed[_NONCE:]
    clear = _unseal(key, nonce, sealed, _aad(fields))
    if clear is None:
        return None
    return Ex2(fields.user, fields.domain, clear, fields.flags & ~ENCRYPTED_FLAGS, fields.package_list)


def _scope_option(fields: Ex2) -> int:
    if fields.flags & SEC_WINNT_AUTH_IDENTITY_FLAGS_PROCESS_ENCRYPTED:
        return SEC_WINNT_AUTH_IDENTITY_ENCRYPT_SAME_PROCESS
    return SEC_WINNT_AUTH_IDENTITY_ENCRYPT_SAME_LOGON


def _bound_to(fields: Ex2) -> str:
    if fields.flags & SEC_WINNT_AUTH_IDENTITY_FLAGS_PROCESS_ENCRYPTED:
        return "the process that encrypted it (SEC_WINNT_AUTH_IDENTITY_ENCRYPT_SAME_PROCESS)"
    return "the logon session that encrypted it (SEC_WINNT_AUTH_IDENTITY_ENCRYPT_SAME_LOGON)"


def as_winnt_identity(c: Call, value: Any) -> Any:
    """What AcquireCredentialsHandle sees in pAuthData: an identity of this family becomes the
    SEC_WINNT_AUTH_IDENTITY it stands for (decrypted when the caller may decrypt it); anything
    else, or an identity the caller cannot read, is returned unchanged (the package does not
    recognize it)."""
    if not isinstance(value, AuthIdentityBuffer | SecWinntAuthIdentityExW):
        return value
    if isinstance(value, AuthIdentityBuffer) and value.address not in c.process.allocations:
        return value
    fields = _ex2_of(value)
    if isinstance(fields, str):
        return value
    clear = _open(c, fields)
    if clear is None:
        return value
    try:
        password = clear.password
    except UnicodeDecodeError:
        return value
    return SecWinntAuthIdentity(User=clear.user, Password=password, Domain=clear.domain or None)


def package_list_of(value: Any) -> str:
    """The PackageList an identity of this family carries ('' for none, and for a
    SEC_WINNT_AUTH_IDENTITY, which has no such member). The list is never encrypted: an
    encrypted EX2 seals only its packed credentials."""
    if isinstance(value, SecWinntAuthIdentityExW):
        # Read whatever the other members hold: an EXW of NULL User, Domain and Password (the
        # caller's own logon, observed contract) still restricts Negotiate.
        packages = value.PackageList
        return packages if isinstance(packages, str) else ""
    if not isinstance(value, AuthIdentityBuffer):
        return ""
    fields = _ex2_of(value)
    return "" if isinstance(fields, str) else fields.package_list


# -- memory ---------------------------------------------------------------------------------


def _alloc_identity(c: Call, data: bytes, what: str) -> AuthIdentityBuffer:
    return AuthIdentityBuffer(data, c.world.new_address(c.process, f"{c.function}: {what}"))


_FAMILY_MEMORY = (AuthIdentityBuffer, AllocatedStr, AllocatedBytes)


def _address(value: Any) -> int | None:
    return value.address if isinstance(value, _FAMILY_MEMORY) else None


# -- reusable rules ---------------------------------------------------------------------------

_SILENT = Interpretation(
    "The page documents SEC_E_OK and, for failure, only 'a nonzero error code': what does a call "
    "the model must refuse get?",
    "a ContractError naming the parameter and what is wrong; no status is invented",
)


def _given(c: Call, param: str) -> Any:
    return getattr(c.a, param)


def _freed(c: Call, param: str) -> bool:
    address = _address(_given(c, param))
    return address is not None and address in c.process.freed and address not in c.process.allocations


def _foreign(c: Call, param: str) -> bool:
    address = _address(_given(c, param))
    return address is not None and address not in c.process.allocations


def _bad_identity(c: Call, param: str) -> bool:
    return isinstance(_ex2_of(_given(c, param)), str)


def _raise(param: str, problem: Any) -> Any:
    def effect(c: Call) -> None:
        text = problem(c) if callable(problem) else problem
        raise c.violation(param, text, _given(c, param))

    return effect


def _identity_problem(param: str) -> Any:
    def problem(c: Call) -> str:
        value = _given(c, param)
        why = _ex2_of(value)
        if isinstance(value, AuthIdentityBuffer):
            return f"the identity at {_hex(value.address)} is not a valid SEC_WINNT_AUTH_IDENTITY_EX2: {why}"
        return f"not an identity structure: {why}"

    return problem


def reading_rules(function: str, prefix: str, param: str, basis: Citation) -> list[Rule]:
    """Refusals shared by every function that reads an identity: freed, foreign, not an identity."""
    return [
        Rule(
            pick(prefix, "cai.freed", "cmp1.freed", "cmp2.freed", "dai.freed", "daix.freed", "eaas.freed", "eai.freed", "eaix.freed", "fai.freed", "iae.freed", "mai.freed", "slf.freed", "vai.freed", "xp.freed", "zai.freed", "pcr.freed", "pcw.freed", "pfc.freed", "pfcw.freed"),
            f"{param} is an identity or buffer that was released already",
            CONTRACT_ERROR,
            basis,
            lambda c: _freed(c, param),
            _raise(param, lambda c: f"the memory at {_hex(_address(_given(c, param)))} was released already"),
            also=(_SILENT,),
        ),
        Rule(
            pick(prefix, "cai.foreign", "cmp1.foreign", "cmp2.foreign", "dai.foreign", "daix.foreign", "eaas.foreign", "eai.foreign", "eaix.foreign", "fcb.foreign", "iae.foreign", "mai.foreign", "vai.foreign", "xp.foreign", "pcr.foreign", "pcw.foreign", "pfc.foreign", "pfcw.foreign"),
            f"{param} is memory this family allocated for another process",
            CONTRACT_ERROR,
            basis,
            lambda c: _foreign(c, param),
            _raise(
                param, lambda c: f"{_hex(_address(_given(c, param)))} is not memory allocated for this process"
            ),
            also=(_SILENT,),
        ),
        Rule(
            pick(prefix, "cai.not_identity", "cmp1.not_identity", "cmp2.not_identity", "dai.not_identity", "daix.not_identity", "eaas.not_identity", "eai.not_identity", "eaix.not_identity", "iae.not_identity", "mai.not_identity", "vai.not_identity", "xp.not_identity", "pcr.not_identity", "pcw.not_identity", "pfc.not_identity", "pfcw.not_identity"),
            f"{param} is not a SEC_WINNT_AUTH_IDENTITY(_EXW) or an EX2 identity this family allocated, or "
            "its bytes are not a valid EX2 structure (zeroed, truncated, tampered)",
            CONTRACT_ERROR,
            basis,
            lambda c: _bad_identity(c, param),
            _raise(param, _identity_problem(param)),
            also=(_SILENT,),
        ),
    ]


def _ok(function: str, quote: str = "On success the function returns SEC_E_OK.") -> Citation:
    return Citation(function, "returns", quote)


def _fields(c: Call, param: str) -> Ex2:
    fields = _ex2_of(_given(c, param))
    assert not isinstance(fields, str), "rule order: reading_rules come first"
    return fields


def _undecryptable(c: Call, param: str) -> bool:
    fields = _ex2_of(_given(c, param))
    return not isinstance(fields, str) and _open(c, fields) is None


def _undecryptable_rule(function: str, prefix: str, param: str) -> Rule:
    return Rule(
        pick(prefix, "cmp1.not_decryptable", "cmp2.not_decryptable", "dai.not_decryptable", "daix.not_decryptable", "pcw.not_decryptable", "pfc.not_decryptable", "pfcw.not_decryptable"),
        f"{param} is encrypted for another process or logon session (or its sealed part was altered)",
        CONTRACT_ERROR,
        Citation(
            "SspiEncryptAuthIdentityEx",
            "parameters: Options",
            "Only the process that encrypted the structure can decrypt it.",
        ),
        lambda c: _undecryptable(c, param),
        _raise(
            param,
            lambda c: (
                f"this caller (process {c.process.pid}, logon session {c.process.luid!r}) cannot decrypt "
                f"the identity: it is bound to {_bound_to(_fields(c, param))}"
            ),
        ),
        also=(
            Citation(
                "SspiEncryptAuthIdentityEx",
                "parameters: Options",
                "Only a security context running in the logon session that encrypted the structure can decrypt it.",
            ),
            _SILENT,
        ),
    )


_EX2_LIMIT = Interpretation(
    "The family keeps every identity it allocates as a packed SEC_WINNT_AUTH_IDENTITY_EX2, whose string "
    "lengths are USHORTs: what of a field that would be longer than 65,535 bytes there?",
    "the call is refused with a ContractError naming the parameter and the field; nothing is allocated or "
    "changed (no status is invented)",
)


def _ex2_problem(c: Call, param: str, grow: int = 0, package_list: str | None = None) -> str | None:
    """What would not fit when ``param``'s identity is packed as EX2, its packed credentials
    ``grow`` bytes longer (sealing) or its package list replaced; None when everything fits."""
    f = _fields(c, param)
    packages = f.package_list if package_list is None else package_list
    return ex2_overflow(f.user, f.domain, len(f.packed) + grow, packages)


def _too_long_rule(rule_id: str, param: str, basis: Citation, grow: int = 0) -> Rule:
    """Refuses an identity whose packed EX2 form (``grow`` bytes more credentials) does not fit."""
    return Rule(
        rule_id,
        f"{param}'s fields do not fit the SEC_WINNT_AUTH_IDENTITY_EX2 the call would allocate or write "
        "(a string longer than 65,535 bytes in UTF-16)",
        CONTRACT_ERROR,
        basis,
        lambda c: _ex2_problem(c, param, grow) is not None,
        _raise(param, lambda c: _ex2_problem(c, param, grow)),
        also=(_SILENT, _EX2_LIMIT),
    )


def ex2_unpaired(fields: Ex2) -> str | None:
    """Which string of these EX2 fields :func:`parse_ex2` would refuse once packed (one holding an
    unpaired surrogate), named as the caller's structure names it, or None. Encrypted
    credentials are bytes, not text: they are not looked at."""
    strings = [("User", fields.user), ("Domain", fields.domain), ("PackageList", fields.package_list)]
    if not fields.encrypted:
        strings.insert(2, ("Password", fields.password))
    for name, text in strings:
        where = unpaired_surrogate(text)
        if where is not None:
            return f"{name} holds an unpaired surrogate ({where})"
    return None


_UNPAIRED = Interpretation(
    "A WCHAR string may hold a surrogate that is not half of a pair, yet the family reads the strings of an "
    "EX2 identity it allocated as UTF-16 text and refuses one that holds such a unit (SspiEncodeAuthIdentityAsStrings, "
    "SspiMarshalAuthIdentity, SspiCopyAuthIdentity, SspiUnmarshalAuthIdentity): may a call build such an identity?",
    "no: the call that would allocate it (or marshal it) is refused with a ContractError naming the parameter, "
    "the string and the unit, and nothing is allocated, so every identity the family allocates can be read back; "
    "a caller's own structure holding one is still read where nothing is built from it",
)
_UNPAIRED_NOTE = (
    " (interpretation: the identity functions read an EX2 identity's strings as UTF-16 text, so the model "
    "builds none they could not read back)"
)


def _unpaired_problem(c: Call, param: str) -> str | None:
    """What of ``param``'s identity cannot be packed readably; None for family memory (parse_ex2
    checked its bytes) and for a caller's structure whose strings are all text."""
    if isinstance(_given(c, param), AuthIdentityBuffer):
        return None
    return ex2_unpaired(_fields(c, param))


def unpaired_rule(rule_id: str, param: str, basis: Citation) -> Rule:
    """Refuses a caller's identity structure (in ``param``) whose strings would make the EX2
    identity the call builds unreadable: an unpaired surrogate. Comes after the reading rules."""
    return Rule(
        rule_id,
        f"{param} is a caller's structure one of whose strings holds an unpaired surrogate (a UTF-16 unit "
        "U+D800..U+DFFF that is not half of a pair): the EX2 identity built from it could not be read back",
        CONTRACT_ERROR,
        basis,
        lambda c: _unpaired_problem(c, param) is not None,
        _raise(param, lambda c: f"{_unpaired_problem(c, param)}{_UNPAIRED_NOTE}"),
        also=(_SILENT, _UNPAIRED),
    )


# -- SspiEncodeStringsAsAuthIdentity ----------------------------------------------------------

_STRINGS = ("pszUserName", "pszDomainName", "pszPackedCredentialsString")


def _not_strings(c: Call) -> str | None:
    for name in _STRINGS:
        value = getattr(c.a, name)
        if not isinstance(value, str):
            return name
        if len(_utf16(value)) > 0xFFFF:
            return name
    return None


def _raise_not_string(c: Call) -> None:
    name = _not_strings(c)
    assert name is not None
    value = getattr(c.a, name)
    problem = (
        f"{len(_utf16(value))} bytes in UTF-16: the EX2 length field holds at most 65535"
        if isinstance(value, str)
        else f"expected a string (a PCWSTR), got {type(value).__name__}"
    )
    raise c.violation(name, problem, value)


def _unpaired_string(c: Call) -> tuple[str, str] | None:
    """(parameter, where) of the first string parameter holding an unpaired surrogate, or None."""
    for name in _STRINGS:
        where = unpaired_surrogate(getattr(c.a, name))
        if where is not None:
            return name, where
    return None


def _raise_unpaired_string(c: Call) -> None:
    found = _unpaired_string(c)
    assert found is not None
    name, where = found
    raise c.violation(name, f"holds an unpaired surrogate ({where}){_UNPAIRED_NOTE}", getattr(c.a, name))


def _encode_strings(c: Call) -> None:
    data = pack_ex2(
        c.a.pszUserName,
        c.a.pszDomainName,
        _utf16(c.a.pszPackedCredentialsString),
        SEC_WINNT_AUTH_IDENTITY_UNICODE,
    )
    c.out["ppAuthIdentity"] = _alloc_identity(c, data, "SEC_WINNT_AUTH_IDENTITY_EX2")


F = "SspiEncodeStringsAsAuthIdentity"
ENCODE_STRINGS = register(
    F,
    [
        Rule(
            "esai.not_strings",
            "a string parameter is not a string, or too long for the EX2 layout",
            CONTRACT_ERROR,
            Citation(F, "parameters: pszUserName", "The user name the new identity carries."),
            lambda c: _not_strings(c) is not None,
            _raise_not_string,
            also=(_SILENT,),
        ),
        Rule(
            "esai.unpaired_surrogate",
            "a string parameter holds an unpaired surrogate (a UTF-16 unit U+D800..U+DFFF that is not half of a "
            "pair): the identity's readers could not read it back",
            CONTRACT_ERROR,
            Citation(F, "parameters: pszUserName", "The user name the new identity carries."),
            lambda c: _unpaired_string(c) is not None,
            _raise_unpaired_string,
            also=(_SILENT, _UNPAIRED),
        ),
        Rule(
            "esai.ok",
            "otherwise: a new EX2 identity holding the three strings (the packed credentials string "
            "is kept as given)",
            "SEC_E_OK",
            _ok(F, "On success the function returns SEC_E_OK."),
            lambda c: True,
            _encode_strings,
            also=(
                Citation(
                    F,
                    "parameters: ppAuthIdentity",
                    "Release the structure with SspiFreeAuthIdentity once it is no longer needed.",
                ),
                Interpretation(
                    "What is the packed credentials string of a password identity?",
                    "the password itself; AcquireCredentialsHandle takes it as the password",
                ),
            ),
        ),
    ],
)


# -- SspiEncodeAuthIdentityAsStrings ------------------------------------------------------------


def _encode_as_strings(c: Call) -> None:
    fields = _fields(c, "pAuthIdentity")
    world, process = c.world, c.process
    for param, text in (
        ("ppszUserName", fields.user),
        ("ppszDomainName", fields.domain),
        ("ppszPackedCredentialsString", fields.password),
    ):
        c.out[param] = AllocatedStr(text, world.new_address(process, f"{c.function}: {param}"))


F = "SspiEncodeAuthIdentityAsStrings"
_EAAS_ROW = "has the SEC_WINNT_AUTH_IDENTITY_FLAGS_PROCESS_ENCRYPTED flag set."
ENCODE_AS_STRINGS = register(
    F,
    [
        *reading_rules(
            F,
            "eaas",
            "pAuthIdentity",
            Citation(F, "parameters: pAuthIdentity", "The credential structure to turn into strings."),
        ),
        unreachable(
            "eaas.process_encrypted",
            "STATUS_INVALID_PARAMETER",
            Citation(F, "returns", _EAAS_ROW),
            "an NTSTATUS (0xC000000D), not a SECURITY_STATUS of the status catalog (spec/data/status.tsv), so the "
            "generated Status enum has no member for it; an encrypted pAuthIdentity is refused by rule "
            "eaas.encrypted (ContractError quoting this row) instead",
        ),
        Rule(
            "eaas.encrypted",
            "pAuthIdentity is encrypted (the row names SEC_WINNT_AUTH_IDENTITY_FLAGS_PROCESS_ENCRYPTED; the model "
            "treats every encrypted form alike)",
            CONTRACT_ERROR,
            Citation(F, "returns", _EAAS_ROW),
            lambda c: _fields(c, "pAuthIdentity").encrypted,
            _raise(
                "pAuthIdentity",
                lambda c: (
                    f"the identity is encrypted (Flags {_fields(c, 'pAuthIdentity').flags:#x}); the page "
                    "returns STATUS_INVALID_PARAMETER when it 'has the SEC_WINNT_AUTH_IDENTITY_FLAGS_PROCESS_ENCRYPTED "
                    "flag set', an NTSTATUS the model's status catalog lacks"
                ),
            ),
            also=(
                Interpretation(
                    "Does an identity encrypted with SAME_LOGON (USER_PROTECTED) fail too?",
                    "yes: its credentials cannot be turned into a clear string either",
                ),
            ),
        ),
        Rule(
            "eaas.ok",
            "otherwise: three new strings (user, domain, packed credentials)",
            "SEC_E_OK",
            _ok(F, "On success the function returns SEC_E_OK."),
            lambda c: True,
            _encode_as_strings,
            also=(
                Citation(
                    F,
                    "parameters: ppszUserName",
                    "Release the string with SspiFreeAuthIdentity once it is no longer needed.",
                ),
            ),
        ),
    ],
)


def _identity_bytes(c: Call, param: str) -> bytes:
    """The packed SEC_WINNT_AUTH_IDENTITY_EX2 bytes of the identity ``param`` holds (family memory
    as it is, a caller's structure packed)."""
    value = getattr(c.a, param)
    if isinstance(value, AuthIdentityBuffer):
        return bytes(value.data)
    f = _fields(c, param)
    return pack_ex2(f.user, f.domain, f.packed, f.flags, f.package_list)


# -- SspiCopyAuthIdentity -----------------------------------------------------------------------


def _copy(c: Call) -> None:
    data = _identity_bytes(c, "AuthData")
    c.out["AuthDataCopy"] = _alloc_identity(c, data, "copy of an identity")


F = "SspiCopyAuthIdentity"
COPY = register(
    F,
    [
        *reading_rules(
            F, "cai", "AuthData", Citation(F, "parameters: AuthData", "The credential structure to copy.")
        ),
        unpaired_rule(
            "cai.unpaired_surrogate", "AuthData", Citation(F, "parameters: AuthData", "The credential structure to copy.")
        ),
        _too_long_rule(
            "cai.too_long", "AuthData", Citation(F, "parameters: AuthData", "The credential structure to copy.")
        ),
        Rule(
            "cai.ok",
            "otherwise: a new EX2 identity with the same bytes (an encrypted identity stays encrypted)",
            "SEC_E_OK",
            _ok(F),
            lambda c: True,
            _copy,
            also=(
                Interpretation(
                    "What does the copy of a caller's SEC_WINNT_AUTH_IDENTITY(_EXW) look like, and who frees it?",
                    "an EX2 identity the family allocated, released with SspiFreeAuthIdentity",
                ),
            ),
        ),
    ],
)


# -- SspiCompareAuthIdentities ------------------------------------------------------------------


def _compare(c: Call) -> None:
    a = _open(c, _fields(c, "AuthIdentity1"))
    b = _open(c, _fields(c, "AuthIdentity2"))
    assert a is not None and b is not None
    same_user = a.user.lower() == b.user.lower() and a.domain.lower() == b.domain.lower()
    c.out["SameSuppliedUser"] = same_user
    c.out["SameSuppliedIdentity"] = same_user and a.packed == b.packed and a.package_list == b.package_list


F = "SspiCompareAuthIdentities"
COMPARE = register(
    F,
    [
        *reading_rules(
            F,
            "cmp1",
            "AuthIdentity1",
            Citation(
                F,
                "parameters: AuthIdentity1",
                "Pointer to the opaque structure holding the first credential of the comparison.",
            ),
        ),
        *reading_rules(
            F,
            "cmp2",
            "AuthIdentity2",
            Citation(
                F,
                "parameters: AuthIdentity2",
                "Pointer to the opaque structure holding the second credential of the comparison.",
            ),
        ),
        _undecryptable_rule(F, "cmp1", "AuthIdentity1"),
        _undecryptable_rule(F, "cmp2", "AuthIdentity2"),
        Rule(
            "cmp.ok",
            "otherwise: SameSuppliedUser when user and domain match (ignoring case); SameSuppliedIdentity when "
            "the credentials and package list match as well",
            "SEC_E_OK",
            _ok(F),
            lambda c: True,
            _compare,
            also=(
                Citation(F, "parameters: SameSuppliedUser", "name the same user account"),
                Citation(F, "parameters: SameSuppliedIdentity", "hold the same identity"),
                Interpretation(
                    "What makes two identities 'the same identity', and are encrypted ones compared in clear?",
                    "same user and domain (case-insensitive), same credentials and package list; encrypted "
                    "identities are compared decrypted, so the caller must be able to decrypt them",
                ),
            ),
        ),
    ],
)


# -- SspiValidateAuthIdentity -------------------------------------------------------------------

F = "SspiValidateAuthIdentity"
VALIDATE = register(
    F,
    [
        *reading_rules(
            F,
            "vai",
            "AuthData",
            Citation(
                F,
                "returns",
                "When it is not valid, the function fails and returns an error code, which is never zero.",
            ),
        ),
        Rule(
            "vai.ok",
            "otherwise: the structure is a well-formed identity",
            "SEC_E_OK",
            Citation(F, "returns", "is valid, the function succeeds and returns SEC_E_OK."),
            lambda c: True,
        ),
    ],
)


# -- SspiFreeAuthIdentity, SspiLocalFree, SspiZeroAuthIdentity ---------------------------------


def _release(c: Call, param: str) -> None:
    value = _given(c, param)
    address = _address(value)
    assert address is not None
    if isinstance(value, AuthIdentityBuffer):
        value.data[:] = bytes(len(value.data))
    del c.process.allocations[address]
    c.process.freed.add(address)


def _release_rules(
    function: str, prefix: str, param: str, accepts: tuple[type, ...], basis: Citation
) -> list[Rule]:
    kinds = " or ".join(t.__name__ for t in accepts)

    def wrong_kind(c: Call) -> bool:
        return not isinstance(_given(c, param), accepts)

    return [
        Rule(
            pick(prefix, "cai.freed", "cmp1.freed", "cmp2.freed", "dai.freed", "daix.freed", "eaas.freed", "eai.freed", "eaix.freed", "fai.freed", "iae.freed", "mai.freed", "slf.freed", "vai.freed", "xp.freed", "zai.freed", "pcr.freed", "pcw.freed", "pfc.freed", "pfcw.freed"),
            f"{param} was released already",
            CONTRACT_ERROR,
            basis,
            lambda c: _freed(c, param),
            _raise(param, lambda c: f"the memory at {_hex(_address(_given(c, param)))} was released already"),
            also=(_SILENT,),
        ),
        Rule(
            pick(prefix, "fai.not_allocated", "slf.not_allocated", "zai.not_allocated"),
            f"{param} is not memory this family allocated for the calling process ({kinds})",
            CONTRACT_ERROR,
            basis,
            lambda c: wrong_kind(c) or _foreign(c, param),
            _raise(
                param,
                lambda c: (
                    f"a {type(_given(c, param)).__name__} is not memory the Sspi* identity functions allocated "
                    f"for this process (expected {kinds})"
                ),
            ),
            also=(_SILENT,),
        ),
    ]


F = "SspiFreeAuthIdentity"
_VOID_HEADER = Interpretation(
    "The page returns SEC_E_OK but sspi.h declares the function VOID (tests/data/corpus_facts.json): which?",
    "the documented contract follows the page: the result carries SEC_E_OK",
)
FREE = register(
    F,
    [
        *_release_rules(
            F,
            "fai",
            "AuthData",
            (AuthIdentityBuffer, AllocatedStr),
            Citation(F, "parameters: AuthData", "The identity structure to release."),
        ),
        Rule(
            "fai.ok",
            "otherwise: the memory is overwritten with zeros and released",
            "SEC_E_OK",
            _ok(F),
            lambda c: True,
            lambda c: _release(c, "AuthData"),
            also=(
                _VOID_HEADER,
                Citation(
                    "SspiEncodeAuthIdentityAsStrings",
                    "parameters: ppszUserName",
                    "Release the string with SspiFreeAuthIdentity once it is no longer needed.",
                ),
            ),
        ),
    ],
)


def _local_free(c: Call) -> None:
    _release(c, "DataBuffer")
    c.out["value"] = None


F = "SspiLocalFree"
LOCAL_FREE = register(
    F,
    [
        *_release_rules(
            F,
            "slf",
            "DataBuffer",
            _FAMILY_MEMORY,
            Citation(F, "parameters: DataBuffer", "The buffer to release."),
        ),
        Rule(
            "slf.ok",
            "otherwise: the buffer is released",
            "void",
            Citation(F, "returns", "The function has no return value."),
            lambda c: True,
            _local_free,
            also=(
                Interpretation(
                    "SspiMarshalAuthIdentity does not say how its byte array is released: with what?",
                    "SspiLocalFree, which releases any memory of this family (identities, strings, byte arrays)",
                ),
            ),
        ),
    ],
)


def _zero(c: Call) -> None:
    value = c.a.AuthData
    value.data[:] = bytes(len(value.data))


F = "SspiZeroAuthIdentity"
ZERO = register(
    F,
    [
        *_release_rules(
            F,
            "zai",
            "AuthData",
            (AuthIdentityBuffer,),
            Citation(F, "parameters: AuthData", "The identity structure to overwrite."),
        ),
        Rule(
            "zai.ok",
            "otherwise: every byte of the identity's memory becomes zero (it stays allocated; it is no longer a "
            "valid identity)",
            "SEC_E_OK",
            _ok(F),
            lambda c: True,
            _zero,
            also=(
                _VOID_HEADER,
                Citation(
                    F, "description", "overwrites the memory block of an identity structure with zeros."
                ),
                Interpretation(
                    "Can a caller's own SEC_WINNT_AUTH_IDENTITY be zeroed?",
                    "the model's caller structures are immutable values; only memory this family allocated is "
                    "zeroed, anything else is a ContractError",
                ),
            ),
        ),
    ],
)


# -- SspiMarshalAuthIdentity, SspiUnmarshalAuthIdentity ----------------------------------------


def _marshal(c: Call) -> None:
    data = _identity_bytes(c, "AuthIdentity")
    c.out["AuthIdentityLength"] = len(data)
    c.out["AuthIdentityByteArray"] = AllocatedBytes(
        data, c.world.new_address(c.process, f"{c.function}: bytes")
    )


F = "SspiMarshalAuthIdentity"
MARSHAL = register(
    F,
    [
        *reading_rules(
            F,
            "mai",
            "AuthIdentity",
            Citation(F, "parameters: AuthIdentity", "The identity structure to serialize."),
        ),
        unpaired_rule(
            "mai.unpaired_surrogate",
            "AuthIdentity",
            Citation(F, "parameters: AuthIdentity", "The identity structure to serialize."),
        ),
        _too_long_rule(
            "mai.too_long",
            "AuthIdentity",
            Citation(F, "parameters: AuthIdentity", "The identity structure to serialize."),
        ),
        Rule(
            "mai.ok",
            "otherwise: the packed SEC_WINNT_AUTH_IDENTITY_EX2 bytes and their length",
            "SEC_E_OK",
            _ok(F),
            lambda c: True,
            _marshal,
            also=(
                Interpretation(
                    "What is the byte array?",
                    "the identity's packed SEC_WINNT_AUTH_IDENTITY_EX2 (self-relative: offsets, no pointers); an "
                    "encrypted identity stays encrypted",
                ),
            ),
        ),
    ],
)


def _unmarshal_problem(c: Call) -> tuple[str, str] | None:
    length, data = c.a.AuthIdentityLength, c.a.AuthIdentityByteArray
    if isinstance(data, bytearray | memoryview):
        data = bytes(data)
    if not isinstance(data, bytes):
        return "AuthIdentityByteArray", f"expected bytes, got {type(data).__name__}"
    if not isinstance(length, int) or isinstance(length, bool) or length < 0:
        return "AuthIdentityLength", f"expected a byte count, got {length!r}"
    if length > len(data):
        return "AuthIdentityLength", f"{length} is more than the {len(data)} bytes of AuthIdentityByteArray"
    parsed = parse_ex2(data[:length])
    if isinstance(parsed, str):
        return "AuthIdentityByteArray", f"not a marshalled identity: {parsed}"
    return None


def _raise_unmarshal(c: Call) -> None:
    found = _unmarshal_problem(c)
    assert found is not None
    param, problem = found
    raise c.violation(param, problem, getattr(c.a, param))


def _unmarshal(c: Call) -> None:
    data = bytes(c.a.AuthIdentityByteArray)[: c.a.AuthIdentityLength]
    f = parse_ex2(data)
    assert isinstance(f, Ex2)
    c.out["ppAuthIdentity"] = _alloc_identity(
        c, pack_ex2(f.user, f.domain, f.packed, f.flags, f.package_list), "unmarshalled identity"
    )


F = "SspiUnmarshalAuthIdentity"
UNMARSHAL = register(
    F,
    [
        Rule(
            "uai.malformed",
            "the length exceeds the array, or the bytes are not a well-formed SEC_WINNT_AUTH_IDENTITY_EX2 "
            "(truncated, wrong version, offsets outside the structure, odd string lengths)",
            CONTRACT_ERROR,
            Citation(
                F, "parameters: AuthIdentityByteArray", "The array of bytes to rebuild the identity from."
            ),
            lambda c: _unmarshal_problem(c) is not None,
            _raise_unmarshal,
            also=(_SILENT,),
        ),
        Rule(
            "uai.ok",
            "otherwise: a new EX2 identity holding what the bytes hold",
            "SEC_E_OK",
            _ok(F),
            lambda c: True,
            _unmarshal,
        ),
    ],
)


# -- SspiIsAuthIdentityEncrypted ----------------------------------------------------------------

F = "SspiIsAuthIdentityEncrypted"
_ENCRYPTED_RETURNS = (
    "TRUE when the identity structure given in EncryptedAuthData is encrypted, FALSE when it is not."
)
IS_ENCRYPTED = register(
    F,
    [
        *reading_rules(
            F,
            "iae",
            "EncryptedAuthData",
            Citation(F, "parameters: EncryptedAuthData", "The identity structure to examine."),
        ),
        Rule(
            "iae.true",
            "the identity's Flags hold an encryption flag",
            "TRUE",
            Citation(F, "returns", _ENCRYPTED_RETURNS),
            lambda c: _fields(c, "EncryptedAuthData").encrypted,
            lambda c: c.out.__setitem__("value", True),
        ),
        Rule(
            "iae.false",
            "otherwise",
            "FALSE",
            Citation(F, "returns", _ENCRYPTED_RETURNS),
            lambda c: True,
            lambda c: c.out.__setitem__("value", False),
        ),
    ],
)


# -- SspiEncryptAuthIdentity(Ex), SspiDecryptAuthIdentity(Ex) ----------------------------------


def _encrypt_in_place(c: Call, param: str, option: int) -> None:
    value = _given(c, param)
    value.data[:] = _encrypt(c, _fields(c, param), option)
    c.out[param] = value


def _decrypt_in_place(c: Call, param: str) -> None:
    value = _given(c, param)
    clear = _open(c, _fields(c, param))
    assert clear is not None
    value.data[:] = pack_ex2(clear.user, clear.domain, clear.packed, clear.flags, clear.package_list)
    c.out[param] = value


def _prepared_rules(function: str, prefix: str, param: str, basis: Citation) -> list[Rule]:
    """The in/out identity must be memory this family allocated (the model changes it in place)."""
    rules = reading_rules(function, prefix, param, basis)
    rules.insert(
        2,
        Rule(
            pick(prefix, "dai.not_prepared", "daix.not_prepared", "eai.not_prepared", "eaix.not_prepared"),
            f"{param} is a caller's own structure, not an identity this family allocated",
            CONTRACT_ERROR,
            Citation(
                "SspiEncryptAuthIdentityEx",
                "parameters: AuthData",
                "The buffer has to be made ready for encryption before the call",
            ),
            lambda c: isinstance(_given(c, param), SecWinntAuthIdentity | SecWinntAuthIdentityExW),
            _raise(
                param,
                "a caller-built SEC_WINNT_AUTH_IDENTITY is not an identity buffer this family allocated; build one with "
                "SspiEncodeStringsAsAuthIdentity or SspiCopyAuthIdentity first",
            ),
            also=(
                Interpretation(
                    "What makes an identity buffer 'ready for encryption'?",
                    "being an EX2 identity the Sspi* functions allocated (the model encrypts it in place)",
                ),
            ),
        ),
    )
    return rules


_ALREADY = Interpretation(
    "What does encrypting an identity that is already encrypted (or decrypting one in clear) do?",
    "nothing: the identity is left as it is and the call returns SEC_E_OK",
)


def _already_encrypted(c: Call, param: str) -> bool:
    return _fields(c, param).encrypted


def _options_problem(c: Call, decrypt: bool) -> str | None:
    options = int(c.a.Options)
    if options == 0:
        return "no option given: pass SEC_WINNT_AUTH_IDENTITY_ENCRYPT_SAME_LOGON or _SAME_PROCESS"
    if options == SEC_WINNT_AUTH_IDENTITY_ENCRYPT_SAME_LOGON | SEC_WINNT_AUTH_IDENTITY_ENCRYPT_SAME_PROCESS:
        return "SAME_LOGON and SAME_PROCESS bind the identity to different scopes; give one of them"
    return None


def _options_rule(function: str, prefix: str, decrypt: bool) -> Rule:
    return Rule(
        pick(prefix, "daix.options", "eaix.options"),
        "Options is 0 or holds both SAME_LOGON and SAME_PROCESS",
        CONTRACT_ERROR,
        Citation(function, "parameters: Options", "SEC_WINNT_AUTH_IDENTITY_ENCRYPT_SAME_LOGON"),
        lambda c: _options_problem(c, decrypt) is not None,
        _raise("Options", lambda c: _options_problem(c, decrypt)),
        also=(
            Interpretation(
                "The encrypt page allows 'one or more' options, yet the two bind to different scopes: what do "
                "0 and SAME_LOGON|SAME_PROCESS mean?",
                "neither is an encryption the model can carry out; both are a ContractError",
            ),
        ),
    )


F = "SspiEncryptAuthIdentity"
_ENC_BASIS = Citation(F, "parameters: AuthData", "On entry, the identity structure to encrypt")
ENCRYPT = register(
    F,
    [
        *_prepared_rules(F, "eai", "AuthData", _ENC_BASIS),
        Rule(
            "eai.already",
            "AuthData is encrypted already",
            "SEC_E_OK",
            _ok(F),
            lambda c: _already_encrypted(c, "AuthData"),
            lambda c: c.out.__setitem__("AuthData", c.a.AuthData),
            also=(_ALREADY,),
        ),
        _too_long_rule("eai.too_long", "AuthData", _ENC_BASIS, grow=_NONCE + _TAG),
        Rule(
            "eai.ok",
            "otherwise: the credentials are encrypted in place for this process "
            "(SEC_WINNT_AUTH_IDENTITY_FLAGS_PROCESS_ENCRYPTED)",
            "SEC_E_OK",
            _ok(F),
            lambda c: True,
            lambda c: _encrypt_in_place(c, "AuthData", SEC_WINNT_AUTH_IDENTITY_ENCRYPT_SAME_PROCESS),
            also=(
                Citation(
                    "SspiEncryptAuthIdentityEx",
                    "parameters: Options",
                    "Passing this option has the same effect as calling SspiEncryptAuthIdentity.",
                ),
            ),
        ),
    ],
)

F = "SspiEncryptAuthIdentityEx"
ENCRYPT_EX = register(
    F,
    [
        _options_rule(F, "eaix", decrypt=False),
        *_prepared_rules(
            F,
            "eaix",
            "AuthData",
            Citation(F, "parameters: AuthData", "On entry, a pointer to the identity buffer to encrypt."),
        ),
        Rule(
            "eaix.already",
            "AuthData is encrypted already",
            "SEC_E_OK",
            Citation(F, "returns", "On success the function returns SEC_E_OK."),
            lambda c: _already_encrypted(c, "AuthData"),
            lambda c: c.out.__setitem__("AuthData", c.a.AuthData),
            also=(_ALREADY,),
        ),
        _too_long_rule(
            "eaix.too_long",
            "AuthData",
            Citation(F, "parameters: AuthData", "On entry, a pointer to the identity buffer to encrypt."),
            grow=_NONCE + _TAG,
        ),
        Rule(
            "eaix.ok",
            "otherwise: the credentials are encrypted in place, bound to this process (SAME_PROCESS) or to this "
            "logon session (SAME_LOGON)",
            "SEC_E_OK",
            Citation(F, "returns", "On success the function returns SEC_E_OK."),
            lambda c: True,
            lambda c: _encrypt_in_place(c, "AuthData", int(c.a.Options)),
            also=(
                Citation(
                    F, "parameters: Options", "Only the process that encrypted the structure can decrypt it."
                ),
                Citation(
                    F,
                    "parameters: Options",
                    "Only a security context running in the logon session that encrypted the structure can decrypt it.",
                ),
            ),
        ),
    ],
)


def _not_encrypted(c: Call, param: str) -> bool:
    return not _fields(c, param).encrypted


F = "SspiDecryptAuthIdentity"
DECRYPT = register(
    F,
    [
        *_prepared_rules(
            F,
            "dai",
            "EncryptedAuthData",
            Citation(
                F,
                "parameters: EncryptedAuthData",
                "On entry, a pointer to the encrypted credential structure",
            ),
        ),
        Rule(
            "dai.clear",
            "EncryptedAuthData is not encrypted",
            "SEC_E_OK",
            _ok(F),
            lambda c: _not_encrypted(c, "EncryptedAuthData"),
            lambda c: c.out.__setitem__("EncryptedAuthData", c.a.EncryptedAuthData),
            also=(_ALREADY,),
        ),
        _undecryptable_rule(F, "dai", "EncryptedAuthData"),
        Rule(
            "dai.ok",
            "otherwise: the credentials are decrypted in place",
            "SEC_E_OK",
            _ok(F),
            lambda c: True,
            lambda c: _decrypt_in_place(c, "EncryptedAuthData"),
        ),
    ],
)


def _wrong_option(c: Call) -> bool:
    return int(c.a.Options) != _scope_option(_fields(c, "EncryptedAuthData"))


F = "SspiDecryptAuthIdentityEx"
DECRYPT_EX = register(
    F,
    [
        _options_rule(F, "daix", decrypt=True),
        *_prepared_rules(
            F,
            "daix",
            "EncryptedAuthData",
            Citation(
                F, "parameters: EncryptedAuthData", "The buffer that SspiEncryptAuthIdentityEx produced."
            ),
        ),
        Rule(
            "daix.clear",
            "EncryptedAuthData is not encrypted",
            "SEC_E_OK",
            Citation(F, "returns", "On success the function returns SEC_E_OK."),
            lambda c: _not_encrypted(c, "EncryptedAuthData"),
            lambda c: c.out.__setitem__("EncryptedAuthData", c.a.EncryptedAuthData),
            also=(_ALREADY,),
        ),
        Rule(
            "daix.wrong_option",
            "Options is not the option the identity was encrypted with",
            CONTRACT_ERROR,
            Citation(F, "parameters: Options", "Pass the value that was given to SspiEncryptAuthIdentityEx"),
            _wrong_option,
            _raise(
                "Options",
                lambda c: (
                    f"Options {int(c.a.Options):#x} is not the option the identity was encrypted with "
                    f"({_scope_option(_fields(c, 'EncryptedAuthData')):#x}): 'Pass the value that was given to "
                    "SspiEncryptAuthIdentityEx'"
                ),
            ),
            also=(_SILENT,),
        ),
        _undecryptable_rule(F, "daix", "EncryptedAuthData"),
        Rule(
            "daix.ok",
            "otherwise: the credentials are decrypted in place",
            "SEC_E_OK",
            Citation(F, "returns", "On success the function returns SEC_E_OK."),
            lambda c: True,
            lambda c: _decrypt_in_place(c, "EncryptedAuthData"),
        ),
    ],
)


# -- SspiExcludePackage -------------------------------------------------------------------------


def _bad_package_name(c: Call) -> bool:
    name = c.a.pszPackageName
    return not isinstance(name, str) or not name or "," in name or name.startswith("!")


def _excluding(c: Call) -> str:
    """The new identity's package list: the old one with '!name' (and without 'name')."""
    name = c.a.pszPackageName
    entries = [e for e in _fields(c, "AuthIdentity").package_list.split(",") if e]
    if not any(e.lower() == f"!{name.lower()}" for e in entries):
        entries = [e for e in entries if e.lower() != name.lower()] + [f"!{name}"]
    return ",".join(entries)


def _exclude_problem(c: Call) -> str | None:
    return _ex2_problem(c, "AuthIdentity", package_list=_excluding(c))


def _raise_exclude_problem(c: Call) -> None:
    # The identity's own fields name AuthIdentity; a list that only the added name makes too long
    # names pszPackageName.
    own = _ex2_problem(c, "AuthIdentity")
    problem = own if own is not None else _exclude_problem(c)
    assert problem is not None, "rule order: xp.too_long's test held"
    param = "AuthIdentity" if own is not None else "pszPackageName"
    raise c.violation(param, problem, _given(c, param))


def _exclude_unpaired(c: Call) -> tuple[str, str] | None:
    """(parameter, problem) when the new identity's strings would hold an unpaired surrogate: the
    caller's structure in AuthIdentity, or the package name the list gains."""
    own = _unpaired_problem(c, "AuthIdentity")
    if own is not None:
        return "AuthIdentity", own
    where = unpaired_surrogate(c.a.pszPackageName)
    if where is not None:
        return "pszPackageName", f"holds an unpaired surrogate ({where}), which the new PackageList would carry"
    return None


def _raise_exclude_unpaired(c: Call) -> None:
    found = _exclude_unpaired(c)
    assert found is not None, "rule order: xp.unpaired_surrogate's test held"
    param, problem = found
    raise c.violation(param, problem + _UNPAIRED_NOTE, _given(c, param))


def _exclude(c: Call) -> None:
    f = _fields(c, "AuthIdentity")
    data = pack_ex2(f.user, f.domain, f.packed, f.flags, _excluding(c))
    c.out["ppNewAuthIdentity"] = _alloc_identity(c, data, "identity excluding a package")


F = "SspiExcludePackage"
EXCLUDE = register(
    F,
    [
        *reading_rules(
            F,
            "xp",
            "AuthIdentity",
            Citation(F, "parameters: AuthIdentity", "The identity structure to start from."),
        ),
        Rule(
            "xp.bad_name",
            "pszPackageName is not a package name (not a string, empty, or holding ',' or a leading '!')",
            CONTRACT_ERROR,
            Citation(F, "parameters: pszPackageName", "The SSP to exclude."),
            _bad_package_name,
            _raise(
                "pszPackageName", lambda c: f"{c.a.pszPackageName!r} is not the name of a security package"
            ),
            also=(_SILENT,),
        ),
        Rule(
            "xp.unpaired_surrogate",
            "AuthIdentity is a caller's structure one of whose strings, or pszPackageName, holds an unpaired "
            "surrogate (a UTF-16 unit U+D800..U+DFFF that is not half of a pair): the new identity could not be "
            "read back",
            CONTRACT_ERROR,
            Citation(F, "parameters: AuthIdentity", "The identity structure to start from."),
            lambda c: _exclude_unpaired(c) is not None,
            _raise_exclude_unpaired,
            also=(_SILENT, _UNPAIRED),
        ),
        Rule(
            "xp.too_long",
            "the new identity's fields (the package list with '!name' added) do not fit a "
            "SEC_WINNT_AUTH_IDENTITY_EX2 (a string longer than 65,535 bytes in UTF-16)",
            CONTRACT_ERROR,
            Citation(F, "parameters: AuthIdentity", "The identity structure to start from."),
            lambda c: _exclude_problem(c) is not None,
            _raise_exclude_problem,
            also=(_SILENT, _EX2_LIMIT),
        ),
        Rule(
            "xp.ok",
            "otherwise: a new EX2 identity whose package list excludes the package ('!name')",
            "SEC_E_OK",
            _ok(F),
            lambda c: True,
            _exclude,
            also=(
                Interpretation(
                    "How does the new identity exclude the package?",
                    "its PackageList (comma-separated, as Negotiate's package lists are written) gains '!name'; a "
                    "package the list named is dropped; the original identity is unchanged",
                ),
            ),
        ),
    ],
)

del F

# The C return value of the functions that return no SECURITY_STATUS (see sspimodel.api).
VALUE_RETURNS: dict[str, frozenset[str]] = {
    "SspiIsAuthIdentityEncrypted": frozenset({"TRUE", "FALSE"}),
    "SspiLocalFree": frozenset({"void"}),
}


# -- SspiGetTargetHostName ------------------------------------------------------------------------
#
# Not an identity function, but of the same group of sspi.h (SspiCli.dll, Windows 7): kept here so
# the memory it hands out (released with SspiLocalFree) is this module's.


def _host_of(target: object) -> str | None:
    """The host a target names: 'service/host[:port][/name]' -> host; 'host[:port]' -> host."""
    if not isinstance(target, str) or not target:
        return None
    parts = target.split("/")
    host = parts[1] if len(parts) > 1 else parts[0]
    host = host.split(":", 1)[0]
    return host or None


def _raise_no_host(c: Call) -> None:
    target = c.a.pszTargetName
    problem = (
        f"expected a string (a PCWSTR), got {type(target).__name__}"
        if not isinstance(target, str)
        else f"{target!r} names no host (expected 'service/host[:port][/name]' or a host name)"
    )
    raise c.violation("pszTargetName", problem, target)


def _target_host(c: Call) -> None:
    host = _host_of(c.a.pszTargetName)
    assert host is not None
    c.out["pszHostName"] = AllocatedStr(host, c.world.new_address(c.process, f"{c.function}: host name"))


F = "SspiGetTargetHostName"
GET_TARGET_HOST_NAME = register(
    F,
    [
        Rule(
            "gth.no_host",
            "pszTargetName is not a string, or names no host",
            CONTRACT_ERROR,
            Citation(F, "parameters: pszTargetName", "The target whose host name is wanted."),
            lambda c: _host_of(c.a.pszTargetName) is None,
            _raise_no_host,
            also=(_SILENT,),
        ),
        Rule(
            "gth.ok",
            "otherwise: the host part of the target, in a new string",
            "SEC_E_OK",
            _ok(F),
            lambda c: True,
            _target_host,
            also=(
                Interpretation(
                    "Which part of a target is its host, and how is the string released?",
                    "a service principal name 'service/host[:port][/name]' gives host (without the port); any "
                    "other string is taken as a host name (a port suffix dropped); the string is released "
                    "with SspiLocalFree",
                ),
            ),
        ),
    ],
)
del F
