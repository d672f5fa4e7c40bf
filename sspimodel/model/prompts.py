"""Credential prompts: SspiPromptForCredentialsA/W, SspiIsPromptingNeeded, SspiPrepareForCredRead,
SspiPrepareForCredWrite, SspiUnmarshalCredUIContext, SspiGetCredUIContext, SspiUpdateCredentials.

No dialog box is ever shown. The world holds a scripted user (:class:`ScriptedUser`, in
``world.prompts.user``): a queue of answers the test or notebook writes before the call
(``submit(user, password, domain, save=...)`` or ``cancel()``). Each prompt takes the next answer;
an empty queue is the user closing the dialog (a cancel). What each prompt showed (target, package,
error message, the fields it filled in, whether the Save check box was shown and ticked) and what
came of it is appended to ``world.prompts.user.shown``, so every documented outcome is reachable
and visible, deterministically.

The world also holds what the prompts leave behind (:class:`PromptState`):

- ``credman``: the world's credential store (Credential Manager), keyed by (type, target). A prompt
  whose Save check box ends ticked stores what the user typed there, unless
  SSPIPFC_CREDPROV_DO_NOT_SAVE is given; SspiUpdateCredentials updates the entry of a context's
  prompt.
- ``contexts``: the credential UI context of each prompt (:class:`CredUiState`): what a credential
  provider is given. ``serialization`` of each :class:`PromptShown` is that context marshalled as
  a CREDUIWIN_MARSHALED_CONTEXT (sspi.h), the bytes a provider receives through
  ICredentialProvider::SetSerialization and hands to SspiUnmarshalCredUIContext.

Identities the prompt returns are the auth-identity family's packed SEC_WINNT_AUTH_IDENTITY_EX2
(:class:`sspimodel.model.identity.AuthIdentityBuffer`), recorded in the caller's allocation table
until SspiFreeAuthIdentity releases them. AcquireCredentialsHandle accepts them.

Statuses: the pages document SEC_E_OK and, for failure, only "a nonzero error code". As the
auth-identity family does, a call the model must refuse raises ContractError naming the parameter
and what is wrong, instead of a status the pages do not name. A prompt the user cancels is no
contract breach: it returns SEC_E_NO_CREDENTIALS, errata entry ``doc-prompt-cancelled``
(an interpretation: the page names no code).

Outside facts (values of sspi.h and wincred.h, the header's structure layouts) are in
tests/data/prompt_facts.json with their sources; tests/test_model_prompts.py holds this module to them.
"""

from __future__ import annotations

import struct
import uuid
from collections.abc import Callable
from typing import Any

from .common import CONTRACT_ERROR
from .handles import AccessToken, AllocatedBytes, AllocatedStr, CtxtHandle, Luid, Ref, _hex
from .identity import (
    _UNPAIRED,
    _UNPAIRED_NOTE,
    AuthIdentityBuffer,
    Ex2,
    _alloc_identity,
    _fields,
    _open,
    _undecryptable_rule,
    ex2_overflow,
    ex2_unpaired,
    pack_ex2,
    parse_ex2,
    reading_rules,
)
from .prompt_state import (
    Cancel,
    CredUiInfo,
    CredUiState,
    PromptShown,
    PromptState,
    ScriptedUser,
    StoredCredential,
    Submit,
    identity_too_long,
    prompted_identity_size,
)
from .rules import Call, Citation, Errata, Interpretation, Rule, register
from .wchar import unpaired_surrogate
from .wchar import utf16 as _utf16

__all__ = [
    "CREDUIWIN_STRUCTURE_TYPE_SSPIPFC",
    "CRED_TYPE_DOMAIN_PASSWORD",
    "MARSHALED_HEADER",
    "PROMPTING_NEEDED",
    "SEC_WINNT_AUTH_DATA_TYPE_CERT",
    "SEC_WINNT_AUTH_DATA_TYPE_CSP_DATA",
    "SEC_WINNT_AUTH_DATA_TYPE_PASSWORD",
    "SSPIPFC_CREDPROV_DO_NOT_SAVE",
    "SSPIPFC_NO_CHECKBOX",
    "SSPIPFC_STRUCTURE_TYPE_CREDUI_CONTEXT",
    "VALUE_RETURNS",
    "Cancel",
    "CredUiContext",
    "CredUiContextVector",
    "CredUiInfo",
    "CredUiState",
    "PromptShown",
    "PromptState",
    "ScriptedUser",
    "StoredCredential",
    "Submit",
    "guid_bytes",
    "marshal_context",
]

# -- facts of the headers (tests/data/prompt_facts.json names their lines) -------------------------

SSPIPFC_CREDPROV_DO_NOT_SAVE = 0x1
SSPIPFC_NO_CHECKBOX = 0x2
CRED_TYPE_DOMAIN_PASSWORD = 2  # wincred.h
# The SEC_WINNT_AUTH_DATA_TYPE_* GUIDs as the generated SecWinntAuthDataType holds them: the
# 128-bit number of the GUID (Data1, Data2, Data3, Data4, big-endian), from the pages' value tables.
SEC_WINNT_AUTH_DATA_TYPE_PASSWORD = uuid.UUID("28bfc32f-10f6-4738-98d1-1ac061df716a").int
SEC_WINNT_AUTH_DATA_TYPE_CERT = uuid.UUID("235f69ad-73fb-4dbc-8203-0629e739339b").int
SEC_WINNT_AUTH_DATA_TYPE_CSP_DATA = uuid.UUID("68fd9879-079c-4dfe-8281-578aadc1c100").int
CRED_TYPES = {
    SEC_WINNT_AUTH_DATA_TYPE_PASSWORD: "SEC_WINNT_AUTH_DATA_TYPE_PASSWORD",
    SEC_WINNT_AUTH_DATA_TYPE_CERT: "SEC_WINNT_AUTH_DATA_TYPE_CERT",
    SEC_WINNT_AUTH_DATA_TYPE_CSP_DATA: "SEC_WINNT_AUTH_DATA_TYPE_CSP_DATA",
}
CREDUIWIN_STRUCTURE_TYPE_SSPIPFC = uuid.UUID("3c3e93d9-d96b-49b5-94a7-458592088337").int
SSPIPFC_STRUCTURE_TYPE_CREDUI_CONTEXT = uuid.UUID("c2fffe6f-503d-4c3d-a95e-bce821213d44").int

# CREDUIWIN_MARSHALED_CONTEXT as sspi.h declares it: GUID StructureType, USHORT cbHeaderLength,
# LUID LogonId (DWORD LowPart, LONG HighPart), GUID MarshaledDataType, ULONG MarshaledDataOffset,
# USHORT MarshaledDataLength; natural alignment (4 for the LUID and the ULONG): 52 bytes.
MARSHALED_HEADER = struct.Struct("<16sH2xIi16sIH2x")
# The marshalled data that follows: the model's own layout (*Interpretation*: the header names no
# layout for it): the context handle (8 bytes), dwAuthError, then the byte lengths of the target
# name, the caption, the message text (UTF-16LE) and the input identity (packed EX2), then those.
_FLAT = struct.Struct("<QIHHHxxI")
# SEC_WINNT_CREDUI_CONTEXT_VECTOR: ULONG CredUIContextArrayOffset, USHORT CredUIContextCount.
_VECTOR = struct.Struct("<IH2x")
# Each entry of the vector's array: SEC_WINNT_AUTH_BYTE_VECTOR (ULONG offset, USHORT length).
_BYTE_VECTOR = struct.Struct("<IH2x")


def guid_bytes(number: int) -> bytes:
    """A GUID (as its 128-bit number) as memory holds it (Data1-3 little-endian)."""
    return uuid.UUID(int=number).bytes_le


# -- the scripted user and the world's prompt state: in prompt_state.py (world.py builds it) ----------

# -- memory the functions hand out -----------------------------------------------------------------


class CredUiContext(AllocatedBytes):
    """A SEC_WINNT_CREDUI_CONTEXT that SspiUnmarshalCredUIContext allocated: one block (its bytes
    are the marshalled data it was rebuilt from), released with SspiLocalFree. The fields are those
    of sspi.h; ``pInputAuthIdentity`` points into the block (it is released with it)."""

    cbHeaderLength: int
    CredUIContextHandle: int
    UIInfo: CredUiInfo
    dwAuthError: int
    pInputAuthIdentity: AuthIdentityBuffer | None
    TargetName: str

    def __repr__(self) -> str:
        ident = "" if self.pInputAuthIdentity is None else f", pInputAuthIdentity={self.pInputAuthIdentity!r}"
        return (
            f"CredUiContext({_hex(self.address)}, CredUIContextHandle={self.CredUIContextHandle:#x}, "
            f"TargetName={self.TargetName!r}, dwAuthError={self.dwAuthError:#x}{ident})"
        )


class CredUiContextVector(AllocatedBytes):
    """A SEC_WINNT_CREDUI_CONTEXT_VECTOR that SspiGetCredUIContext allocated, followed by its array
    of SEC_WINNT_AUTH_BYTE_VECTOR entries and their data (``entries``: the data, decoded as bytes).
    Released with SspiLocalFree."""

    CredUIContextArrayOffset: int
    CredUIContextCount: int

    @property
    def entries(self) -> list[bytes]:
        data = bytes(self)
        out = []
        for i in range(self.CredUIContextCount):
            offset, length = _BYTE_VECTOR.unpack_from(data, self.CredUIContextArrayOffset + i * _BYTE_VECTOR.size)
            out.append(data[offset : offset + length])
        return out

    def __repr__(self) -> str:
        return (
            f"CredUiContextVector({_hex(self.address)}, CredUIContextArrayOffset={self.CredUIContextArrayOffset}, "
            f"CredUIContextCount={self.CredUIContextCount})"
        )


def _new_block(cls: type, c: Call, data: bytes, what: str, **fields: Any) -> Any:
    obj = cls(data, c.world.new_address(c.process, f"{c.function}: {what}"))
    for name, value in fields.items():
        setattr(obj, name, value)
    return obj


def marshal_context(state: CredUiState) -> bytes:
    """The credential UI context as a CREDUIWIN_MARSHALED_CONTEXT (header, then the flat data)."""
    target = _utf16(state.target)
    caption = _utf16(state.info.pszCaptionText or "")
    message = _utf16(state.info.pszMessageText or "")
    flat = (
        _FLAT.pack(state.handle, state.auth_error, len(target), len(caption), len(message), len(state.input_identity))
        + target
        + caption
        + message
        + state.input_identity
    )
    header = MARSHALED_HEADER.pack(
        guid_bytes(CREDUIWIN_STRUCTURE_TYPE_SSPIPFC),
        MARSHALED_HEADER.size,
        state.luid.LowPart,
        state.luid.HighPart,
        guid_bytes(SSPIPFC_STRUCTURE_TYPE_CREDUI_CONTEXT),
        MARSHALED_HEADER.size,
        len(flat),
    )
    return header + flat


def _parse_marshaled(data: bytes) -> tuple[Luid, int, int, str, str, str, bytes] | str:
    """(LogonId, handle, auth error, target, caption, message, identity bytes), or what is wrong."""
    if len(data) < MARSHALED_HEADER.size:
        return f"{len(data)} bytes are fewer than the {MARSHALED_HEADER.size}-byte CREDUIWIN_MARSHALED_CONTEXT header"
    kind, header_len, low, high, data_type, offset, length = MARSHALED_HEADER.unpack_from(data)
    if kind != guid_bytes(CREDUIWIN_STRUCTURE_TYPE_SSPIPFC):
        return "StructureType is not CREDUIWIN_STRUCTURE_TYPE_SSPIPFC"
    if header_len != MARSHALED_HEADER.size:
        return f"cbHeaderLength is {header_len}, not {MARSHALED_HEADER.size}"
    if data_type != guid_bytes(SSPIPFC_STRUCTURE_TYPE_CREDUI_CONTEXT):
        return "MarshaledDataType is not SSPIPFC_STRUCTURE_TYPE_CREDUI_CONTEXT"
    if offset < MARSHALED_HEADER.size or offset + length > len(data) or length < _FLAT.size:
        return f"MarshaledDataOffset {offset} and MarshaledDataLength {length} fall outside the {len(data)} bytes"
    flat = data[offset : offset + length]
    handle, error, tl, cl, ml, il = _FLAT.unpack_from(flat)
    if _FLAT.size + tl + cl + ml + il != length:
        return f"the marshalled data's string and identity lengths do not add up to MarshaledDataLength {length}"
    at = _FLAT.size
    texts = []
    for n, name in ((tl, "target name"), (cl, "caption"), (ml, "message text")):
        raw = flat[at : at + n]
        at += n
        if n % 2:
            return f"the {name} is {n} bytes: a UTF-16 string has an even number of bytes"
        try:
            texts.append(raw.decode("utf-16-le"))
        except UnicodeDecodeError:
            return f"the {name} is not UTF-16LE text"
    ident = flat[at : at + il]
    if ident:
        parsed = parse_ex2(ident)
        if isinstance(parsed, str):
            return f"the input identity is not a packed SEC_WINNT_AUTH_IDENTITY_EX2: {parsed}"
    return Luid(low, high), handle, error, texts[0], texts[1], texts[2], ident


# -- reusable bases ---------------------------------------------------------------------------------

_SILENT = Interpretation(
    "The page documents SEC_E_OK and, for failure, only 'a nonzero error code': what does a call "
    "the model must refuse get?",
    "a ContractError naming the parameter and what is wrong; no status is invented",
)
_LOCAL_FREE = Interpretation(
    "The page does not say how the caller releases what the function allocates",
    "each block is recorded in the caller's allocation table and released with SspiLocalFree",
)


def _given(c: Call, param: str) -> Any:
    value = getattr(c.a, param)
    return value.value if isinstance(value, Ref) else value


def _raise(param: str, problem: Any) -> Any:
    def effect(c: Call) -> None:
        text = problem(c) if callable(problem) else problem
        raise c.violation(param, text, _given(c, param))

    return effect


def _raise_found(problem: Callable[[Call], tuple[str, str] | None]) -> Callable[[Call], None]:
    """The effect of a rule whose guard is ``problem(c) is not None``: a contract breach naming the
    (parameter, problem) it found."""

    def effect(c: Call) -> None:
        found = problem(c)
        assert found is not None
        param, text = found
        raise c.violation(param, text, _given(c, param))

    return effect


def _text(value: object) -> str | None:
    """A string argument as text (an A function's bytes decoded as ASCII), or None."""
    if isinstance(value, bytes | bytearray):
        try:
            return bytes(value).decode("ascii")
        except UnicodeDecodeError:
            return None
    return str(value) if isinstance(value, str) else None


def _who(user: str, domain: str) -> str:
    return f"{domain}\\{user}" if domain else user


# -- SspiPromptForCredentialsA/W ----------------------------------------------------------------------


def _bad_strings(c: Call) -> str | None:
    for name in ("pszTargetName", "pszPackage"):
        if _text(_given(c, name)) is None:
            return name
    return None


def _raise_bad_string(c: Call) -> None:
    name = _bad_strings(c)
    assert name is not None
    value = _given(c, name)
    problem = (
        "an A function's bytes must be ASCII" if isinstance(value, bytes | bytearray) else f"expected a string, got {type(value).__name__}"
    )
    raise c.violation(name, problem, value)


def _unknown_package(c: Call) -> bool:
    return c.world.package(_text(_given(c, "pszPackage"))) is None


def _bad_ui_info(c: Call) -> bool:
    return type(_given(c, "pUiInfo")) is not CredUiInfo


def _bad_save(c: Call) -> bool:
    value = _given(c, "pfSave")
    return value is not None and not isinstance(value, bool | int)


def _checkbox(c: Call) -> bool | None:
    """The Save check box as the dialog shows it: None when hidden, else whether it is ticked."""
    flags = int(c.a.dwFlags)
    save = _given(c, "pfSave")
    if save is None or flags & SSPIPFC_NO_CHECKBOX:
        return None
    if flags & SSPIPFC_CREDPROV_DO_NOT_SAVE:
        return False  # "The value of pfSave is ignored": the box starts clear
    return bool(save)


def _prompt(c: Call) -> None:
    world, process = c.world, c.process
    state: PromptState = world.prompts
    info: CredUiInfo = _given(c, "pUiInfo")
    target = _text(_given(c, "pszTargetName")) or ""
    package = world.package(_text(_given(c, "pszPackage"))).name
    given = _given(c, "pInputAuthIdentity")
    original = None if given is None else _fields(c, "pInputAuthIdentity")
    # What the dialog fills in is read in clear (the rules refused an identity this caller cannot
    # decrypt); the context keeps the identity as given, so an encrypted one stays encrypted.
    filled = None if original is None else _open(c, original)
    box = _checkbox(c)
    answer = state.user.next_answer()
    handle = state.next_context
    state.next_context += 4
    ctx = CredUiState(
        handle,
        process.luid,
        target,
        package,
        int(c.a.dwAuthError),
        info,
        b"" if original is None else pack_ex2(original.user, original.domain, original.packed, original.flags, original.package_list),
    )
    if ctx.input_identity:
        ctx.credentials[SEC_WINNT_AUTH_DATA_TYPE_PASSWORD] = ctx.input_identity
    state.contexts[handle] = ctx
    saved = False
    final_box = box
    if isinstance(answer, Submit):
        user = answer.user if answer.user is not None else (filled.user if filled else "")
        domain = answer.domain if answer.domain is not None else (filled.domain if filled else "")
        package_list = filled.package_list if filled else ""
        data = pack_ex2(user, domain, _utf16(answer.password), 0x2, package_list)  # SEC_WINNT_AUTH_IDENTITY_UNICODE
        c.out["ppAuthIdentity"] = _alloc_identity(c, data, "prompted identity")
        ctx.credentials[SEC_WINNT_AUTH_DATA_TYPE_PASSWORD] = data
        if box is not None and answer.save is not None:
            final_box = answer.save
        if final_box and not int(c.a.dwFlags) & SSPIPFC_CREDPROV_DO_NOT_SAVE:
            key = (CRED_TYPE_DOMAIN_PASSWORD, target)
            state.credman[key] = StoredCredential(CRED_TYPE_DOMAIN_PASSWORD, target, _who(user, domain), _utf16(answer.password))
            ctx.stored = key
            saved = True
    if box is not None:
        c.out["pfSave"] = bool(final_box)
    else:
        c.out["pfSave"] = _given(c, "pfSave")
    state.user.shown.append(
        PromptShown(
            c.function,
            target,
            package,
            int(c.a.dwAuthError),
            "screen" if info.hwndParent is None else f"parent window {_hex(info.hwndParent)}",
            info.pszCaptionText,
            info.pszMessageText,
            filled.user if filled else None,
            filled.domain if filled else None,
            box if box is None else bool(final_box),
            answer,
            saved,
            handle,
            marshal_context(ctx),
        )
    )


def _context_size_problem(c: Call) -> tuple[str, str] | None:
    """(parameter, problem) when the prompt's credential UI context cannot be marshalled: the
    input identity does not fit its EX2, or the flat data (the target name, the caption and
    message of pUiInfo, the input identity) outgrows MarshaledDataLength, a USHORT."""
    identity = 0
    if _given(c, "pInputAuthIdentity") is not None:
        f = _fields(c, "pInputAuthIdentity")
        problem = ex2_overflow(f.user, f.domain, f.packed, f.package_list)
        if problem is not None:
            return "pInputAuthIdentity", problem
        identity = len(pack_ex2(f.user, f.domain, f.packed, f.flags, f.package_list))
        answers = c.world.prompts.user.answers
        answer = answers[0] if answers else None
        if isinstance(answer, Submit):
            # The identity the dialog returns takes the fields the answer leaves out from this one
            # (ScriptedUser.submit refused an answer too long on its own).
            size = prompted_identity_size(
                f.user if answer.user is None else answer.user,
                f.domain if answer.domain is None else answer.domain,
                answer.password,
                f.package_list,
            )
            if size > 0xFFFF:
                return "pInputAuthIdentity", f"with the user's answer, {identity_too_long(size)}"
    info: CredUiInfo = _given(c, "pUiInfo")
    sizes = {
        "pszTargetName": len(_utf16(_text(_given(c, "pszTargetName")) or "")),
        "pUiInfo": len(_utf16(info.pszCaptionText or "")) + len(_utf16(info.pszMessageText or "")),
        "pInputAuthIdentity": identity,
    }
    total = _FLAT.size + sum(sizes.values())
    if total <= 0xFFFF:
        return None
    param = max(sizes, key=lambda k: sizes[k])
    return param, (
        f"the prompt's marshalled credential UI context would be {total} bytes ({_FLAT.size} bytes of fields, "
        f"the target name {sizes['pszTargetName']}, caption and message {sizes['pUiInfo']}, input identity "
        f"{identity}); its MarshaledDataLength, a USHORT, holds at most 65535"
    )


_UNPAIRED_CONTEXT = Interpretation(
    "The prompt keeps its credential UI context marshalled (target name, caption, message, input identity), "
    "and SspiUnmarshalCredUIContext reads those strings as UTF-16 text: what of one holding a surrogate that is "
    "not half of a pair?",
    "the prompt is refused with a ContractError naming the parameter and the unit; no dialog is shown, so every "
    "context the prompt keeps (and every identity it fills from pInputAuthIdentity) can be read back",
)
_UNPAIRED_CONTEXT_NOTE = (
    " (interpretation: SspiUnmarshalCredUIContext reads the prompt's marshalled context as UTF-16 text, so the "
    "model keeps none it could not read back)"
)


def _unpaired_problem(c: Call) -> tuple[str, str] | None:
    """(parameter, problem) when a string the prompt keeps holds an unpaired surrogate: the input
    identity (a caller's structure; family memory was checked when read), the target name, or
    pUiInfo's caption or message."""
    given = _given(c, "pInputAuthIdentity")
    if given is not None and not isinstance(given, AuthIdentityBuffer):
        problem = ex2_unpaired(_fields(c, "pInputAuthIdentity"))
        if problem is not None:
            return "pInputAuthIdentity", problem + _UNPAIRED_NOTE
    info: CredUiInfo = _given(c, "pUiInfo")
    for param, what, text in (
        ("pszTargetName", "the target name", _text(_given(c, "pszTargetName"))),
        ("pUiInfo", "pszCaptionText", info.pszCaptionText),
        ("pUiInfo", "pszMessageText", info.pszMessageText),
    ):
        where = unpaired_surrogate(text or "")
        if where is not None:
            return param, f"{what} holds an unpaired surrogate ({where}){_UNPAIRED_CONTEXT_NOTE}"
    return None


def _submitted(c: Call) -> bool:
    """Whether the next answer is a Submit (peeked: the effect takes it)."""
    answers = c.world.prompts.user.answers
    return bool(answers) and isinstance(answers[0], Submit)


_SCRIPTED = Interpretation(
    "There is no screen: who answers the dialog?",
    "the world's scripted user (world.prompts.user): each prompt takes the next queued answer "
    "(Submit or Cancel); an empty queue is the user closing the dialog",
)
_SAVE_BOX = Interpretation(
    "pfSave is ignored unless dwFlags holds CREDUIWIN_CHECKBOX, a CredUIPromptForWindowsCredentials flag "
    "whose value (0x2) is that of SSPIPFC_NO_CHECKBOX, which hides the box: when is the Save box shown?",
    "as the function's own value table says: shown when pfSave is given and SSPIPFC_NO_CHECKBOX is not; "
    "ticked as pfSave says, or clear under SSPIPFC_CREDPROV_DO_NOT_SAVE (pfSave ignored); on output pfSave "
    "says whether it ended ticked; a ticked box stores the credentials in the world's credential store "
    "unless SSPIPFC_CREDPROV_DO_NOT_SAVE is given",
)


def prompt_rules(function: str) -> list[Rule]:
    a = function.endswith("A")
    return [
        Rule(
            "pfc.not_strings" if a else "pfcw.not_strings",
            "pszTargetName or pszPackage is not a string (an A function's bytes must be ASCII)",
            CONTRACT_ERROR,
            Citation(function, "parameters: pszPackage", "The name of the security package."),
            lambda c: _bad_strings(c) is not None,
            _raise_bad_string,
            also=(_SILENT,),
        ),
        Rule(
            "pfc.unknown_package" if a else "pfcw.unknown_package",
            "pszPackage names no installed security package",
            CONTRACT_ERROR,
            Citation(function, "parameters: pszPackage", "The name of the security package."),
            _unknown_package,
            _raise("pszPackage", lambda c: f"{_given(c, 'pszPackage')!r} names no installed security package"),
            also=(_SILENT,),
        ),
        Rule(
            "pfc.ui_info" if a else "pfcw.ui_info",
            "pUiInfo is not a CredUiInfo (CREDUI_INFO)",
            CONTRACT_ERROR,
            Citation(function, "parameters: pUiInfo", "structure with what customizes the dialog box"),
            _bad_ui_info,
            _raise("pUiInfo", lambda c: f"expected a CredUiInfo (a CREDUI_INFO), got {type(_given(c, 'pUiInfo')).__name__}"),
        ),
        Rule(
            "pfc.save_type" if a else "pfcw.save_type",
            "pfSave is neither NULL nor a Boolean",
            CONTRACT_ERROR,
            Citation(function, "parameters: pfSave", "A pointer to a Boolean."),
            _bad_save,
            _raise("pfSave", lambda c: f"expected a Boolean (or None for NULL), got {type(_given(c, 'pfSave')).__name__}"),
        ),
        *_optional_identity_rules(function, "pfc" if a else "pfcw"),
        Rule(
            "pfc.unpaired_surrogate" if a else "pfcw.unpaired_surrogate",
            "pszTargetName, pUiInfo's caption or message, or the strings of a caller's pInputAuthIdentity hold an "
            "unpaired surrogate (a UTF-16 unit U+D800..U+DFFF that is not half of a pair)",
            CONTRACT_ERROR,
            Citation(function, "parameters: pszTargetName", "The name of the target."),
            lambda c: _unpaired_problem(c) is not None,
            _raise_found(_unpaired_problem),
            also=(_SILENT, _UNPAIRED_CONTEXT, _UNPAIRED),
        ),
        Rule(
            "pfc.too_long" if a else "pfcw.too_long",
            "the prompt's credential UI context cannot be marshalled: the target name, pUiInfo's texts and the "
            "input identity together outgrow its 16-bit MarshaledDataLength (or the identity its EX2 lengths), or "
            "the identity the dialog would return (the scripted answer, with the fields it leaves out taken from "
            "the input identity) outgrows the 16-bit ByteArrayLength SspiGetCredUIContext gives it back in",
            CONTRACT_ERROR,
            Citation(function, "parameters: pszTargetName", "The name of the target."),
            lambda c: _context_size_problem(c) is not None,
            _raise_found(_context_size_problem),
            also=(
                _SILENT,
                Interpretation(
                    "The prompt keeps its context as a CREDUIWIN_MARSHALED_CONTEXT, whose MarshaledDataLength is a "
                    "USHORT: what of a target name, caption, message and input identity longer than that together?",
                    "the call is refused with a ContractError naming the largest of them; no dialog is shown",
                ),
                Interpretation(
                    "SspiGetCredUIContext gives the prompted identity back in a SEC_WINNT_AUTH_BYTE_VECTOR, whose "
                    "ByteArrayLength is a USHORT: what of an answer that makes the identity longer than that?",
                    "the dialog takes no such answer: ScriptedUser.submit refuses one too long on its own "
                    "(ValueError), and a prompt whose input identity makes it too long is refused here, naming "
                    "pInputAuthIdentity, with the answer left queued",
                ),
            ),
        ),
        Rule(
            "pfc.ok" if a else "pfcw.ok",
            "the scripted user submits credentials: ppAuthIdentity receives a new EX2 identity holding them",
            "SEC_E_OK",
            Citation(function, "returns", "On success the function returns"),
            _submitted,
            _prompt,
            also=(
                Citation(function, "parameters: ppAuthIdentity", "release it with the"),
                _SCRIPTED,
                _SAVE_BOX,
                Interpretation(
                    "Does the prompt check the credentials it collects?",
                    "no: the dialog collects them; AcquireCredentialsHandle and the handshake check them "
                    "(SspiIsPromptingNeeded then says whether to ask again, with dwAuthError)",
                ),
            ),
        ),
        Rule(
            "pfc.cancelled" if a else "pfcw.cancelled",
            "the scripted user cancels (or no answer is queued): no identity",
            "SEC_E_NO_CREDENTIALS",
            Errata("doc-prompt-cancelled", "the page names no code for a cancelled prompt; the model reports SEC_E_NO_CREDENTIALS"),
            lambda c: True,
            _prompt,
            also=(_SCRIPTED, _SAVE_BOX),
        ),
    ]


def _when_given(test: Callable[[Call], bool]) -> Callable[[Call], bool]:
    def given(c: Call) -> bool:
        return _given(c, "pInputAuthIdentity") is not None and test(c)

    return given


def _optional_identity_rules(function: str, prefix: str) -> list[Rule]:
    """pInputAuthIdentity is optional: when given, the auth-identity family's refusals apply."""
    basis = Citation(function, "parameters: pInputAuthIdentity", "To leave those fields empty")
    shared = [
        *reading_rules(function, prefix, "pInputAuthIdentity", basis),
        _undecryptable_rule(function, prefix, "pInputAuthIdentity"),
    ]
    return [
        Rule(r.id, r.when, r.status, r.basis, _when_given(r.test), r.effect, also=r.also, where=r.where)
        for r in shared
    ]


# -- SspiIsPromptingNeeded ------------------------------------------------------------------------------

# *Interpretation* (the page lists no status): the errors that say the credentials were missing or
# refused, so that asking the user again can help. Values: spec/data/status.tsv (SEC_E_*) and
# spec/data/status_namespaces.tsv (STATUS_*); tests/test_model_prompts.py checks them there.
PROMPTING_NEEDED: dict[str, int] = {
    "SEC_E_LOGON_DENIED": 0x8009030C,
    "SEC_E_UNKNOWN_CREDENTIALS": 0x8009030D,
    "SEC_E_NO_CREDENTIALS": 0x8009030E,
    "STATUS_NO_SUCH_USER": 0xC0000064,
    "STATUS_WRONG_PASSWORD": 0xC000006A,
    "STATUS_LOGON_FAILURE": 0xC000006D,
    "STATUS_PASSWORD_EXPIRED": 0xC0000071,
    "STATUS_PASSWORD_MUST_CHANGE": 0xC0000224,
}
_NEEDED_VALUES = frozenset(PROMPTING_NEEDED.values())

F = "SspiIsPromptingNeeded"
_NEEDED_RETURNS = "means that a further call to"
_NEEDED_WHICH = Interpretation(
    "The page lists no error for which prompting is needed: which are they?",
    "those saying the credentials were missing or refused, so that asking the user again can help: "
    + ", ".join(PROMPTING_NEEDED)
    + "; any other value (success codes included) gives FALSE",
)
def _error_or_status(c: Call) -> int:
    """ErrorOrNtStatus as a number. The argument check lets a Ref through for any parameter (one
    pointer level); a by-value ULONG held in one is read from it, an empty one is no value."""
    value = c.a.ErrorOrNtStatus
    if isinstance(value, Ref):
        value = value.value
    if isinstance(value, bool) or not isinstance(value, int):
        raise c.violation("ErrorOrNtStatus", "expected the error to examine (an unsigned long)", value)
    return value


IS_PROMPTING_NEEDED = register(
    F,
    [
        Rule(
            "ipn.true",
            "ErrorOrNtStatus is one of the credential errors of PROMPTING_NEEDED",
            "TRUE",
            Citation(F, "returns", _NEEDED_RETURNS),
            lambda c: _error_or_status(c) & 0xFFFFFFFF in _NEEDED_VALUES,
            lambda c: c.out.__setitem__("value", True),
            also=(_NEEDED_WHICH,),
        ),
        Rule(
            "ipn.false",
            "otherwise",
            "FALSE",
            Citation(F, "returns", "otherwise."),
            lambda c: True,
            lambda c: c.out.__setitem__("value", False),
            also=(_NEEDED_WHICH,),
        ),
    ],
)

# The C return value of the functions that return no SECURITY_STATUS (see sspimodel.api).
VALUE_RETURNS: dict[str, frozenset[str]] = {"SspiIsPromptingNeeded": frozenset({"TRUE", "FALSE"})}


# -- SspiPrepareForCredRead, SspiPrepareForCredWrite -------------------------------------------------------

_TARGET_KEPT = Interpretation(
    "The target name 'may be changed according to what AuthIdentity holds': how?",
    "the model's identities all hold passwords, which Credential Manager keeps as CRED_TYPE_DOMAIN_PASSWORD "
    "credentials keyed by the target as given; the target is returned unchanged",
)


def _bad_target(c: Call, required: bool) -> bool:
    value = _given(c, "pszTargetName")
    if value is None:
        return required
    return not isinstance(value, str) or not value


def _read(c: Call) -> None:
    c.out["pCredmanCredentialType"] = CRED_TYPE_DOMAIN_PASSWORD
    c.out["ppszCredmanTargetName"] = AllocatedStr(
        str(_given(c, "pszTargetName")), c.world.new_address(c.process, f"{c.function}: target name")
    )


F = "SspiPrepareForCredRead"
PREPARE_READ = register(
    F,
    [
        *reading_rules(F, "pcr", "AuthIdentity", Citation(F, "parameters: AuthIdentity", "The identity structure the values for")),
        Rule(
            "pcr.target",
            "pszTargetName is not a non-empty string",
            CONTRACT_ERROR,
            Citation(F, "parameters: pszTargetName", "A target name, which the function may change"),
            lambda c: _bad_target(c, required=True),
            _raise("pszTargetName", "expected a non-empty string (a PCWSTR target name)"),
            also=(_SILENT,),
        ),
        Rule(
            "pcr.ok",
            "otherwise: CRED_TYPE_DOMAIN_PASSWORD and the target name, for CredRead",
            "SEC_E_OK",
            Citation(F, "returns", "On success the function returns"),
            lambda c: True,
            _read,
            also=(_TARGET_KEPT, _LOCAL_FREE),
        ),
    ],
)


def _no_user_target(c: Call) -> bool:
    return _given(c, "pszTargetName") is None and not _fields(c, "AuthIdentity").user


def _write(c: Call) -> None:
    clear = _open(c, _fields(c, "AuthIdentity"))
    assert clear is not None, "rule order: pcw.not_decryptable comes first"
    who = _who(clear.user, clear.domain)
    target = _given(c, "pszTargetName")
    new = c.world.new_address
    c.out["pCredmanCredentialType"] = CRED_TYPE_DOMAIN_PASSWORD
    c.out["ppszCredmanTargetName"] = AllocatedStr(who if target is None else str(target), new(c.process, f"{c.function}: target name"))
    c.out["ppszCredmanUserName"] = AllocatedStr(who, new(c.process, f"{c.function}: user name"))
    c.out["ppCredentialBlob"] = AllocatedBytes(clear.packed, new(c.process, f"{c.function}: credential blob"))
    c.out["pCredentialBlobSize"] = len(clear.packed)


F = "SspiPrepareForCredWrite"
PREPARE_WRITE = register(
    F,
    [
        *reading_rules(F, "pcw", "AuthIdentity", Citation(F, "parameters: AuthIdentity", "The identity structure the values for")),
        _undecryptable_rule(F, "pcw", "AuthIdentity"),
        Rule(
            "pcw.target",
            "pszTargetName is given but is not a non-empty string",
            CONTRACT_ERROR,
            Citation(F, "parameters: pszTargetName", "A target name, which the function may change"),
            lambda c: _bad_target(c, required=False),
            _raise("pszTargetName", "expected a non-empty string (a PCWSTR target name) or None (NULL)"),
            also=(_SILENT,),
        ),
        Rule(
            "pcw.no_user",
            "pszTargetName is NULL and the identity names no user to take as the target",
            CONTRACT_ERROR,
            Citation(F, "parameters: pszTargetName", "to make the user name the target."),
            _no_user_target,
            _raise("pszTargetName", "NULL asks for the user name as the target, and the identity's user name is empty"),
            also=(_SILENT,),
        ),
        Rule(
            "pcw.ok",
            "otherwise: CRED_TYPE_DOMAIN_PASSWORD, the target (the user name when pszTargetName is NULL), the "
            "user name ('DOMAIN\\user'), and the password (UTF-16LE) as the blob, for CredWrite",
            "SEC_E_OK",
            Citation(F, "returns", "On success the function returns"),
            lambda c: True,
            _write,
            also=(
                _TARGET_KEPT,
                _LOCAL_FREE,
                Interpretation(
                    "What are the user name and the credential blob of a password identity?",
                    "the user qualified by its domain ('DOMAIN\\user', the bare user when there is none) and the "
                    "password in UTF-16LE, decrypted when the identity is encrypted for this caller",
                ),
            ),
        ),
    ],
)


# -- SspiUnmarshalCredUIContext -------------------------------------------------------------------------


def _unmarshal_problem(c: Call) -> tuple[str, str] | None:
    data, length = _given(c, "MarshaledCredUIContext"), _given(c, "MarshaledCredUIContextLength")
    if not isinstance(data, bytes | bytearray):
        return "MarshaledCredUIContext", f"expected bytes, got {type(data).__name__}"
    if not isinstance(length, int) or isinstance(length, bool) or length < 0:
        return "MarshaledCredUIContextLength", f"expected a byte count, got {length!r}"
    if length > len(data):
        return "MarshaledCredUIContextLength", f"{length} is more than the {len(data)} bytes of MarshaledCredUIContext"
    parsed = _parse_marshaled(bytes(data[:length]))
    if isinstance(parsed, str):
        return "MarshaledCredUIContext", f"not a marshalled credential UI context: {parsed}"
    return None


def _unmarshal(c: Call) -> None:
    data = bytes(_given(c, "MarshaledCredUIContext"))[: int(c.a.MarshaledCredUIContextLength)]
    parsed = _parse_marshaled(data)
    assert not isinstance(parsed, str)
    _, handle, error, target, caption, message, ident = parsed
    block = data[MARSHALED_HEADER.size :]
    ctx = _new_block(
        CredUiContext,
        c,
        block,
        "SEC_WINNT_CREDUI_CONTEXT",
        cbHeaderLength=_FLAT.size,
        CredUIContextHandle=handle,
        UIInfo=CredUiInfo(None, message or None, caption or None),
        dwAuthError=error,
        TargetName=target,
        pInputAuthIdentity=None,
    )
    if ident:
        ctx.pInputAuthIdentity = AuthIdentityBuffer(ident, ctx.address + len(block) - len(ident))
    c.out["CredUIContext"] = ctx


F = "SspiUnmarshalCredUIContext"
UNMARSHAL_CONTEXT = register(
    F,
    [
        Rule(
            "uci.malformed",
            "the length exceeds the buffer, or the bytes are not a CREDUIWIN_MARSHALED_CONTEXT of a credential "
            "UI context (wrong structure or data type, offsets outside the buffer, strings that are not UTF-16LE)",
            CONTRACT_ERROR,
            Citation(F, "parameters: MarshaledCredUIContext", "The serialized credential information"),
            lambda c: _unmarshal_problem(c) is not None,
            _raise_found(_unmarshal_problem),
            also=(
                _SILENT,
                Interpretation(
                    "What do the serialized bytes hold?",
                    "a CREDUIWIN_MARSHALED_CONTEXT (sspi.h) whose data is the prompt's context: its handle, "
                    "dwAuthError, target name, caption, message text and input identity (the model's layout)",
                ),
            ),
        ),
        Rule(
            "uci.ok",
            "otherwise: CredUIContext receives a new SEC_WINNT_CREDUI_CONTEXT rebuilt from the bytes",
            "SEC_E_OK",
            Citation(F, "returns", "On success the function returns"),
            lambda c: True,
            _unmarshal,
            also=(_LOCAL_FREE,),
        ),
    ],
)


# -- SspiGetCredUIContext, SspiUpdateCredentials -------------------------------------------------------------


def _context_problem(c: Call) -> str | None:
    value = _given(c, "ContextHandle")
    if type(value) is not CredUiContext:
        return f"expected the SEC_WINNT_CREDUI_CONTEXT SspiUnmarshalCredUIContext returned, got {type(value).__name__}"
    if value.address not in c.process.allocations:
        if value.address in c.process.freed:
            return f"the SEC_WINNT_CREDUI_CONTEXT at {_hex(value.address)} was released already"
        return f"{_hex(value.address)} is not memory allocated for this process"
    if value.CredUIContextHandle not in c.world.prompts.contexts:
        return f"its CredUIContextHandle {value.CredUIContextHandle:#x} names no credential UI context of this world"
    return None


def _state(c: Call) -> CredUiState:
    ctx: CredUiState = c.world.prompts.contexts[_given(c, "ContextHandle").CredUIContextHandle]
    return ctx


def _context_rule(function: str, rule_id: str) -> Rule:
    return Rule(
        rule_id,
        "ContextHandle is not a live SEC_WINNT_CREDUI_CONTEXT of this process (freed, foreign, forged, or naming "
        "no context of the world)",
        CONTRACT_ERROR,
        Citation(function, "parameters: ContextHandle", "structure that an earlier call to"),
        lambda c: _context_problem(c) is not None,
        _raise("ContextHandle", lambda c: _context_problem(c)),
        also=(_SILENT,),
    )


def _cred_type_rule(function: str, rule_id: str) -> Rule:
    return Rule(
        rule_id,
        "CredType is not a SEC_WINNT_AUTH_DATA_TYPE_* GUID of the table (the contract checks the table first)",
        CONTRACT_ERROR,
        Citation(function, "parameters: CredType", "one of these values."),
        lambda c: int(c.a.CredType) not in CRED_TYPES,
        _raise("CredType", "not one of the SEC_WINNT_AUTH_DATA_TYPE_* values"),
        also=(_SILENT,),
    )


def _logon_problem(c: Call) -> str | None:
    luid = _given(c, "LogonId")
    if isinstance(luid, int) and not isinstance(luid, bool):
        luid = Luid(luid & 0xFFFFFFFF, luid >> 32)
    if not isinstance(luid, Luid):
        return f"expected a Luid, got {type(luid).__name__}"
    system = c.process.luid == Luid(0x3E7)
    if luid != c.process.luid and not system:
        return (
            f"{luid!r} is not the caller's own logon session ({c.process.luid!r}); naming another one takes "
            "a caller running as LocalSystem"
        )
    if luid not in c.world.sessions or c.world.sessions[luid].account is None:
        return f"{luid!r} names no logon session of a user in this world"
    return None


def _logon(c: Call) -> Luid:
    luid = _given(c, "LogonId")
    return luid if isinstance(luid, Luid) else Luid(luid & 0xFFFFFFFF, luid >> 32)


def _get_context(c: Call) -> None:
    from .access_token import SE_CHANGE_NOTIFY_NAME, TokenRecord, user_sid

    state = _state(c)
    kind = int(c.a.CredType)
    entries = [state.credentials[kind]] if kind in state.credentials else []
    head = _VECTOR.size
    table = head + _BYTE_VECTOR.size * len(entries)
    at = table
    rows = b""
    for e in entries:
        rows += _BYTE_VECTOR.pack(at, len(e))
        at += len(e)
    data = _VECTOR.pack(head, len(entries)) + rows + b"".join(entries)
    c.out["CredUIContexts"] = _new_block(
        CredUiContextVector,
        c,
        data,
        "SEC_WINNT_CREDUI_CONTEXT_VECTOR",
        CredUIContextArrayOffset=head,
        CredUIContextCount=len(entries),
    )
    luid = _logon(c)
    account = c.world.sessions[luid].account
    value = c.world.next_token_handle
    c.world.next_token_handle += 4
    token = TokenRecord(
        handle=AccessToken(value, account),
        user=account,
        user_sid=user_sid(c.world, account),
        groups=(),
        privileges=(SE_CHANGE_NOTIFY_NAME,),
        level="SecurityImpersonation",
        context=CtxtHandle(0, 0),
        package=state.package,
    )
    c.process.tokens[value] = token
    c.out["TokenHandle"] = token.handle


F = "SspiGetCredUIContext"
GET_CREDUI_CONTEXT = register(
    F,
    [
        _context_rule(F, "gci.context"),
        _cred_type_rule(F, "gci.cred_type"),
        Rule(
            "gci.logon_id",
            "LogonId is not the caller's own logon session and the caller does not run as LocalSystem, or names "
            "no user's session",
            CONTRACT_ERROR,
            Citation(F, "parameters: LogonId", "may give a logon ID."),
            lambda c: _logon_problem(c) is not None,
            _raise("LogonId", lambda c: _logon_problem(c)),
            also=(
                _SILENT,
                Interpretation(
                    "Does a caller that is not LocalSystem 'give a logon ID' when it names its own session?",
                    "no: its own session is allowed; any other takes LocalSystem",
                ),
            ),
        ),
        Rule(
            "gci.ok",
            "otherwise: CredUIContexts receives the context's data of CredType (a vector of 0 or 1 entries: the "
            "credentials the user submitted, or the prompt's input identity, or what SspiUpdateCredentials "
            "stored), TokenHandle a new token of the logon session's user",
            "SEC_E_OK",
            Citation(F, "returns", "On success the function returns"),
            lambda c: True,
            _get_context,
            also=(
                _LOCAL_FREE,
                Interpretation(
                    "What does the vector hold, and how is the token released?",
                    "one SEC_WINNT_AUTH_BYTE_VECTOR per datum of CredType the context holds (a password datum is a "
                    "packed EX2 identity), after the vector in the same block; the token is an access token the "
                    "process holds open until it closes it (world.close_handle)",
                ),
            ),
        ),
    ],
)


def _flat_problem(c: Call) -> tuple[str, str] | None:
    data, length = _given(c, "FlatCredUIContext"), _given(c, "FlatCredUIContextLength")
    if not isinstance(data, bytes | bytearray):
        return "FlatCredUIContext", f"expected bytes, got {type(data).__name__}"
    if not isinstance(length, int) or isinstance(length, bool) or length < 0:
        return "FlatCredUIContextLength", f"expected a byte count, got {length!r}"
    if length > len(data):
        return "FlatCredUIContextLength", f"{length} is more than the {len(data)} bytes of FlatCredUIContext"
    if length > 0xFFFF:
        return "FlatCredUIContextLength", (
            f"{length} bytes: SspiGetCredUIContext gives the datum back in a SEC_WINNT_AUTH_BYTE_VECTOR, whose "
            "ByteArrayLength (a USHORT) holds at most 65535"
        )
    if int(c.a.CredType) == SEC_WINNT_AUTH_DATA_TYPE_PASSWORD:
        parsed = parse_ex2(bytes(data[:length]))
        if isinstance(parsed, str):
            return "FlatCredUIContext", f"a password datum is a packed SEC_WINNT_AUTH_IDENTITY_EX2: {parsed}"
        if parsed.encrypted:
            return "FlatCredUIContext", "a password datum must be in clear (the identity is encrypted)"
    return None


def _update(c: Call) -> None:
    state = _state(c)
    kind = int(c.a.CredType)
    data = bytes(_given(c, "FlatCredUIContext"))[: int(c.a.FlatCredUIContextLength)]
    state.credentials[kind] = data
    store = c.world.prompts.credman
    if kind == SEC_WINNT_AUTH_DATA_TYPE_PASSWORD and state.stored in store:
        fields = parse_ex2(data)
        assert isinstance(fields, Ex2)
        old = store[state.stored]
        store[state.stored] = StoredCredential(old.type, old.target, _who(fields.user, fields.domain), fields.packed)


F = "SspiUpdateCredentials"
UPDATE_CREDENTIALS = register(
    F,
    [
        _context_rule(F, "uc.context"),
        _cred_type_rule(F, "uc.cred_type"),
        Rule(
            "uc.flat",
            "the length exceeds the buffer or 65,535 bytes, or a password datum is not a clear packed EX2 identity",
            CONTRACT_ERROR,
            Citation(F, "parameters: FlatCredUIContext", "The values the credentials are updated with."),
            lambda c: _flat_problem(c) is not None,
            _raise_found(_flat_problem),
            also=(
                _SILENT,
                Interpretation(
                    "SspiGetCredUIContext returns each datum in a SEC_WINNT_AUTH_BYTE_VECTOR, whose ByteArrayLength is a "
                    "USHORT: what of a datum longer than 65,535 bytes?",
                    "SspiUpdateCredentials refuses it (a ContractError naming FlatCredUIContextLength); the context "
                    "keeps what it held",
                ),
            ),
        ),
        Rule(
            "uc.ok",
            "otherwise: the context's datum of CredType becomes the bytes; for a password, the credential-store "
            "entry the prompt saved (if any) takes the new user and password",
            "SEC_E_OK",
            Citation(F, "returns", "On success the function returns"),
            lambda c: True,
            _update,
            also=(
                Interpretation(
                    "Which credentials 'go with' the context, and what is the flat data?",
                    "the context's datum of CredType (a password: a packed EX2 identity, as the prompt returns) "
                    "and the credential-store entry its prompt saved",
                ),
            ),
        ),
    ],
)
del F


PROMPT_A = register("SspiPromptForCredentialsA", prompt_rules("SspiPromptForCredentialsA"))
PROMPT_W = register("SspiPromptForCredentialsW", prompt_rules("SspiPromptForCredentialsW"))
