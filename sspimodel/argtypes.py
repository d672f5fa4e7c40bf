"""The C types of the parameters, checked before a call reaches the model.

The generated contracts (:mod:`sspimodel.contract`) check what the pages document about a
parameter: required or optional, its value table, A or W strings. Most parameters have no such
clause (handles, buffer descriptors, reserved words, pointers) and their contract kind is
``"any"``; what a caller may pass for them is the C type of the parameter in sspi.h
(``PCredHandle``, ``PSecBufferDesc``, ``unsigned long``, ...), which the model represents by
the classes of :mod:`sspimodel.model.handles` and :mod:`sspimodel.model.buffers`.

This module is that second check, run by the API (:meth:`sspimodel.api.Sspi`) after the
contract and before any rule runs, so a value the model cannot represent is a
:class:`~sspimodel.contract.ContractTypeError` naming the function, the parameter and the
page line that documents it, and never reaches the model (no state changes). It checks
structure, not meaning: a well-formed handle that names nothing is the model's to judge
(SEC_E_INVALID_HANDLE), a handle whose ``dwLower`` is a string is refused here.

What is accepted, per C type (sspi.h; a fact of the header, not of the pages):

- ``PCredHandle``/``PCtxtHandle`` (both are ``SecHandle*``): None, a CredHandle or a
  CtxtHandle whose two ``ULONG_PTR`` fields are ints in 0..2**64-1;
- ``PSecBufferDesc``: None or a SecBufferDesc whose ``ulVersion`` is an unsigned 32-bit int
  and whose ``pBuffers`` is a list of SecBuffer, each with ``BufferType`` and ``cbBuffer``
  unsigned 32-bit ints and ``pvBuffer`` None, bytes or bytearray;
- ``PSecBuffer`` (ImportSecurityContext's pPackedContext): a SecBuffer as above, or bytes;
- ``unsigned long`` (flags without a value table, reserved words, data representation,
  sequence numbers, QOP): an int (not a bool) in 0..2**32-1;
- ``PLUID`` (pvLogonId): None, a Luid (``LowPart`` a DWORD, ``HighPart`` a LONG), or an int;
- ``SEC_GET_KEY_FN``, ``SEC_WINNT_AUTH_IDENTITY`` callbacks: None or a callable;
- ``SspiAsyncContext*``: an AsyncContext whose address is an int;
- ``PSECURITY_PACKAGE_OPTIONS`` (pOptions): a SecurityPackageOptions with unsigned 32-bit
  fields and a bytes or None Signature, or its 16, 20 or 24 bytes as laid out in memory;
- ``void*`` (pAuthData, pvGetKeyArgument, Token, pvContextBuffer, CallbackData): anything
  (the package interprets it), except that a SecWinntAuthIdentity must have str fields.

Interpretation: the model lets a caller pass a :class:`~sspimodel.model.handles.Ref` cell
where C passes a pointer the callee may write through; a Ref is accepted wherever its
contents are (an empty Ref wherever None is).

The async queuing functions (SspiInitializeSecurityContextAsyncW, ...) are "the asynchronous
form of" a synchronous function; their pages give ``fContextReq`` and kin no value table, so
their arguments are also checked against the counterpart's table when queued (the work would
otherwise fail only when it runs).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeGuard

from .contract import ContractError, ContractTypeError, FunctionContract, ParamContract, safe_repr

if TYPE_CHECKING:
    from .model.handles import Ref

__all__ = ["FUNCTION_PARAM_TYPES", "PARAM_TYPES", "check_arguments", "compiled_check", "safe_repr"]

ULONG_MAX = 0xFFFF_FFFF
ULONG_PTR_MAX = 0xFFFF_FFFF_FFFF_FFFF


class _Bad(Exception):
    """What is wrong with one value (the problem text), raised by the type checks below."""


def _kind(value: object) -> str:
    return type(value).__name__


def _is_int(value: object) -> TypeGuard[int]:
    """A plain int or a member of an int enum/flag class (bool is not a number here). Other int
    subclasses may override hashing or arithmetic, which the model relies on: refused."""
    return type(value) is int or (isinstance(value, int) and isinstance(value, enum.Enum) and not isinstance(value, bool))


def _exact(value: object, *classes: type) -> bool:
    """``value`` is an instance of one of ``classes`` itself, not of a subclass (a subclass could
    override the fields the model reads with properties that do anything)."""
    return type(value) in classes


def _uint(value: object, limit: int, what: str) -> None:
    if not _is_int(value):
        raise _Bad(f"{what} must be an int, got {_kind(value)}")
    if not 0 <= int(value) <= limit:
        bits = 32 if limit == ULONG_MAX else 128 if limit == 2**128 - 1 else 64
        raise _Bad(f"{what} must be an unsigned {bits}-bit value, got {int(value)}")


def _handle(value: Any) -> None:
    from .model.handles import CredHandle, CtxtHandle

    if not _exact(value, CredHandle, CtxtHandle):
        raise _Bad(f"expected a CredHandle or CtxtHandle (a SecHandle), got {_kind(value)}")
    _uint(value.dwLower, ULONG_PTR_MAX, "dwLower (ULONG_PTR)")
    _uint(value.dwUpper, ULONG_PTR_MAX, "dwUpper (ULONG_PTR)")


def _buffer(value: Any, where: str = "") -> None:
    from .model.buffers import SecBuffer
    from .model.handles import AllocatedBytes

    if not _exact(value, SecBuffer):
        raise _Bad(f"{where.rstrip('.')}{': ' if where else ''}expected a SecBuffer, got {_kind(value)}")
    _uint(value.BufferType, ULONG_MAX, f"{where}BufferType (unsigned long)")
    data = value.pvBuffer
    if data is not None and not _exact(data, bytes, bytearray, AllocatedBytes):
        raise _Bad(f"{where}pvBuffer must be bytes, bytearray or None (NULL), got {_kind(data)}")
    _uint(value.cbBuffer, ULONG_MAX, f"{where}cbBuffer (unsigned long)")


def _desc(value: Any) -> None:
    from .model.buffers import SecBufferDesc

    if not _exact(value, SecBufferDesc):
        raise _Bad(f"expected a SecBufferDesc, got {_kind(value)}")
    _uint(value.ulVersion, ULONG_MAX, "ulVersion (unsigned long)")
    buffers = value.pBuffers
    if not isinstance(buffers, list | tuple):
        raise _Bad(f"pBuffers must be a list of SecBuffer, got {_kind(buffers)}")
    if len(buffers) > ULONG_MAX:
        raise _Bad("more buffers than cBuffers (unsigned long) can count")
    for i, b in enumerate(buffers):
        _buffer(b, f"pBuffers[{i}].")


def _packed(value: Any) -> None:
    if isinstance(value, bytes | bytearray):
        return
    _buffer(value)


def _ulong(value: Any) -> None:
    _uint(value, ULONG_MAX, "an unsigned long")


def _boolean(value: Any) -> None:
    # BOOLEAN is an unsigned char: Python's True/False, or 0..255.
    if type(value) is bool:
        return
    if not _is_int(value):
        raise _Bad(f"a BOOLEAN must be an int or a bool, got {_kind(value)}")
    if not 0 <= int(value) <= 0xFF:
        raise _Bad(f"a BOOLEAN is an unsigned char (0..255), got {int(value)}")


def _luid(value: Any) -> None:
    from .model.handles import Luid

    if _exact(value, Luid):
        _uint(value.LowPart, ULONG_MAX, "LowPart (DWORD)")
        high = value.HighPart
        if not _is_int(high) or not -(2**31) <= int(high) < 2**31:
            raise _Bad(f"HighPart (LONG) must be a signed 32-bit int, got {safe_repr(high)}")
        return
    if not _is_int(value):
        raise _Bad(f"expected a Luid (a pointer to a LUID) or an int, got {_kind(value)}")
    _uint(value, ULONG_PTR_MAX, "a LUID")


def _callable(value: Any) -> None:
    if not callable(value):
        raise _Bad(f"expected a function (or None), got {_kind(value)}")


def _async_context(value: Any) -> None:
    from .model.handles import AsyncContext

    if not _exact(value, AsyncContext):
        raise _Bad(f"expected an AsyncContext (SspiAsyncContext*), got {_kind(value)}")
    _uint(value.address, ULONG_PTR_MAX, "the async context's address")


def _void(value: Any) -> None:
    from .model.handles import AllocatedBytes, AllocatedStr, ContextBuffer
    from .model.structs import SecWinntAuthIdentity

    if isinstance(value, AllocatedBytes | AllocatedStr | ContextBuffer):
        # Memory a package allocated carries its address (FreeContextBuffer looks it up).
        _uint(getattr(value, "address", None), ULONG_PTR_MAX, "the buffer's address")

    if _exact(value, SecWinntAuthIdentity):
        for name in ("User", "Password", "Domain"):
            field = getattr(value, name)
            if field is not None and not _exact(field, str, bytes, bytearray):
                raise _Bad(f"SEC_WINNT_AUTH_IDENTITY.{name} must be a string or None, got {_kind(field)}")
        _uint(value.Flags, ULONG_MAX, "SEC_WINNT_AUTH_IDENTITY.Flags (unsigned long)")


def _pointer(value: Any) -> None:
    """An opaque pointer the auth-identity family takes (PSEC_WINNT_AUTH_IDENTITY_OPAQUE, PVOID):
    one of the model's objects, so it has an identity (hashable) and, for family memory, an address."""
    from .model.identity import AuthIdentityBuffer

    try:
        hash(value)
    except Exception:  # unhashable, or a hash that raises: no object of the model
        raise _Bad(f"expected a pointer (an identity or buffer of the model), got {_kind(value)}") from None
    if isinstance(value, AuthIdentityBuffer):
        if not _exact(value, AuthIdentityBuffer):
            raise _Bad(f"expected an identity the family allocated, got a {_kind(value)} (a subclass)")
        _uint(getattr(value, "address", None), ULONG_PTR_MAX, "the identity's address")
    _void(value)


def _bytes(value: Any) -> None:
    from .model.handles import AllocatedBytes

    if not _exact(value, bytes, bytearray, AllocatedBytes):
        raise _Bad(f"expected bytes, got {_kind(value)}")


# SecDelegationType (sspi.h: SecFull, SecService, SecTree, SecDirectory, SecObject = 0..4).
_SEC_DELEGATION_TYPES = 5


def _delegation_type(value: Any) -> None:
    if not _is_int(value) or not 0 <= int(value) < _SEC_DELEGATION_TYPES:
        raise _Bad(f"a SecDelegationType is 0..4 (SecFull, SecService, SecTree, SecDirectory, SecObject), got {safe_repr(value)}")


def _timestamp(value: Any) -> None:
    from .model.handles import Ref, TimeStamp

    if not _exact(value, TimeStamp, Ref):
        raise _Bad(f"expected a TimeStamp, got {_kind(value)}")


def _string(value: Any) -> None:
    from .model.handles import AllocatedBytes, AllocatedStr

    if not _exact(value, str, bytes, bytearray, AllocatedStr, AllocatedBytes):
        if isinstance(value, str | bytes | bytearray):
            # Subclasses may override the methods the model calls (lower, hash): pass str(value).
            raise _Bad(f"expected a string, got a {_kind(value)} (a subclass of {type(value).__mro__[1].__name__})")
        raise _Bad(f"expected a string, got {_kind(value)}")


def _credui_info(value: Any) -> None:
    """PCREDUI_INFO (SspiPromptForCredentialsA/W): a CredUiInfo whose handles are ints or None and
    whose texts are strings or None."""
    from .model.prompts import CredUiInfo

    if not _exact(value, CredUiInfo):
        raise _Bad(f"expected a CredUiInfo (a CREDUI_INFO), got {_kind(value)}")
    for name in ("hwndParent", "hbmBanner"):
        handle = getattr(value, name)
        if handle is not None:
            _uint(handle, ULONG_PTR_MAX, f"CREDUI_INFO.{name} (a handle)")
    for name in ("pszMessageText", "pszCaptionText"):
        text = getattr(value, name)
        if text is not None and not _exact(text, str):
            raise _Bad(f"CREDUI_INFO.{name} must be a string or None, got {_kind(text)}")


def _guid(value: Any) -> None:
    """A GUID, as the model passes one: its 128-bit number (the generated SecWinntAuthDataType)."""
    _uint(value, 2**128 - 1, "a GUID (its 128-bit number)")


def _bool_pointer(value: Any) -> None:
    """A pointer to a BOOL (pfSave): True/False, or a C int."""
    if type(value) is bool:
        return
    if not _is_int(value) or not -(2**31) <= int(value) < 2**31:
        raise _Bad(f"expected a Boolean (True/False) or None (NULL), got {safe_repr(value)}")


def _credui_context(value: Any) -> None:
    """PSEC_WINNT_CREDUI_CONTEXT: the structure SspiUnmarshalCredUIContext returned."""
    from .model.prompts import CredUiContext

    if not _exact(value, CredUiContext):
        raise _Bad(f"expected the CredUiContext SspiUnmarshalCredUIContext returned, got {_kind(value)}")
    _uint(getattr(value, "address", None), ULONG_PTR_MAX, "the structure's address")


def _package_options(value: Any) -> None:
    """PSECURITY_PACKAGE_OPTIONS (AddSecurityPackageA/W): a SecurityPackageOptions whose four
    ULONG fields are unsigned 32-bit ints and whose Signature is bytes or None, or the bytes of
    one as laid out in memory (16, 20 or 24 bytes: four ULONGs, then the Signature pointer)."""
    from .model.packages_registry import SecurityPackageOptions

    if _exact(value, bytes, bytearray):
        if len(value) not in (16, 20, 24):
            raise _Bad(f"SECURITY_PACKAGE_OPTIONS bytes must be 16, 20 or 24 long, got {len(value)}")
        return
    if not _exact(value, SecurityPackageOptions):
        raise _Bad(f"expected a SecurityPackageOptions (SECURITY_PACKAGE_OPTIONS) or its bytes, got {_kind(value)}")
    for name in ("Size", "Type", "Flags", "SignatureSize"):
        _uint(getattr(value, name), ULONG_MAX, f"SECURITY_PACKAGE_OPTIONS.{name} (unsigned long)")
    signature = value.Signature
    if signature is not None and not _exact(signature, bytes, bytearray):
        raise _Bad(f"SECURITY_PACKAGE_OPTIONS.Signature must be bytes or None (NULL), got {_kind(signature)}")


# (C type as sspi.h declares it, the check of a non-None value).
_HANDLE = ("PCredHandle / PCtxtHandle", _handle)
_DESC = ("PSecBufferDesc", _desc)
_ULONG = ("unsigned long", _ulong)
_VOID = ("void *", _void)
_ASYNC = ("SspiAsyncContext *", _async_context)

# Parameter name -> C type, for every input parameter of every page. Names mean the same C type
# on every page that uses them; tests/test_fuzz_api.py fails when a page brings a new name.
PARAM_TYPES: dict[str, tuple[str, Callable[[object], None]]] = {
    "phCredential": _HANDLE,
    "phContext": _HANDLE,
    "phNewContext": _HANDLE,
    "pInput": _DESC,
    "pOutput": _DESC,
    "pMessage": _DESC,
    "pToken": _DESC,
    "pPackedContext": ("PSecBuffer", _packed),
    "fContextReq": _ULONG,
    "fCredentialUse": _ULONG,
    "fFlags": _ULONG,
    "fQOP": _ULONG,
    "ulAttribute": _ULONG,
    "TargetDataRep": _ULONG,
    "Reserved1": _ULONG,
    "Reserved2": _ULONG,
    "MessageSeqNo": _ULONG,
    "pvLogonId": ("PLUID", _luid),
    "pAuthData": _VOID,
    "pGetKeyFn": ("SEC_GET_KEY_FN", _callable),
    "pvGetKeyArgument": _VOID,
    "Token": _VOID,
    "pvContextBuffer": _VOID,
    "CallbackData": _VOID,
    # A non-callable Callback is refused by SspiSetAsyncNotifyCallback's own rule, which cites
    # the page's remarks (a sharper clause than the C type); its type is checked there.
    "Callback": _VOID,
    "AsyncContext": _ASYNC,
    "Handle": _ASYNC,
    "Context": _ASYNC,
    "pszPrincipal": ("a string", _string),
    "pPrincipal": ("a string", _string),
    "pszPackage": ("a string", _string),
    "pPackage": ("a string", _string),
    "pszPackageName": ("a string", _string),
    "pszTargetName": ("a string", _string),
    "pTargetName": ("a string", _string),
    # EnumerateSecurityPackagesA tags its receiving pointers [in]; the model wants Ref cells
    # and says so itself.
    # the auth-identity family (sspi.h: PSEC_WINNT_AUTH_IDENTITY_OPAQUE, PCWSTR, PUCHAR, ULONG)
    "AuthIdentity": ("PSEC_WINNT_AUTH_IDENTITY_OPAQUE", _pointer),
    "AuthIdentity1": ("PSEC_WINNT_AUTH_IDENTITY_OPAQUE", _pointer),
    "AuthIdentity2": ("PSEC_WINNT_AUTH_IDENTITY_OPAQUE", _pointer),
    "AuthData": ("PSEC_WINNT_AUTH_IDENTITY_OPAQUE", _pointer),
    "EncryptedAuthData": ("PSEC_WINNT_AUTH_IDENTITY_OPAQUE", _pointer),
    "pAuthIdentity": ("PSEC_WINNT_AUTH_IDENTITY_OPAQUE", _pointer),
    "DataBuffer": ("PVOID", _pointer),
    "pszUserName": ("a string", _string),
    "pszDomainName": ("a string", _string),
    "pszPackedCredentialsString": ("a string", _string),
    "pPackageName": ("a string", _string),
    "pOptions": ("PSECURITY_PACKAGE_OPTIONS", _package_options),
    "Options": _ULONG,
    "AuthIdentityLength": _ULONG,
    "AuthIdentityByteArray": ("PUCHAR", _bytes),
    "ProfileName": ("a string", _string),  # SaslGetProfilePackageA/W (LPSTR / LPWSTR)
    # SaslGetContextOption / SaslSetContextOption (PCtxtHandle, ULONG, PVOID, ULONG); their
    # ContextHandle is a security context (FUNCTION_PARAM_TYPES), not the credential-UI one below
    "Option": _ULONG,
    "Value": ("PVOID", _bytes),
    "Size": _ULONG,
    "pcPackages": _VOID,
    "ppPackageInfo": _VOID,
    # Receiving pointers of the async pages (no direction): Ref cells, overwritten on completion.
    "pfContextAttr": _VOID,
    "ptsExpiry": _VOID,
    # SetContextAttributesA/W: the attribute's structure and its size
    "pBuffer": _VOID,
    "cbBuffer": _ULONG,
    # issue 19, the credential family (19a): ChangeAccountPasswordA/W, AddCredentialsA/W
    "pszAccountName": ("a string", _string),
    "pszOldPassword": ("a string", _string),
    "pszNewPassword": ("a string", _string),
    "bImpersonating": ("BOOLEAN", _boolean),
    "dwReserved": _ULONG,
    "hCredentials": _HANDLE,
    # DelegateSecurityContext (sspi.h, user mode: SEC_CHAR *pszTarget, SecDelegationType,
    # PTimeStamp, PSecBuffer, PSecBufferDesc; pOutput is in the list above)
    "pTarget": ("a string", _string),
    "DelegationType": ("SecDelegationType", _delegation_type),
    "pExpiry": ("PTimeStamp", _timestamp),
    "pPackageParameters": ("PSecBuffer", _packed),
    # credential prompts (sspi.h: PCREDUI_INFO, unsigned long, PSEC_WINNT_AUTH_IDENTITY_OPAQUE, int*,
    # HANDLE to a SEC_WINNT_CREDUI_CONTEXT, LUID*, PUCHAR, ULONG)
    "pUiInfo": ("PCREDUI_INFO", _credui_info),
    "dwAuthError": _ULONG,
    "pInputAuthIdentity": ("PSEC_WINNT_AUTH_IDENTITY_OPAQUE", _pointer),
    "pfSave": ("int *", _bool_pointer),
    "dwFlags": _ULONG,
    # A GUID* whose table the contract checks (its values are the GUIDs' 128-bit numbers).
    "CredType": ("GUID *", _guid),
    "ErrorOrNtStatus": _ULONG,
    "ContextHandle": ("HANDLE (PSEC_WINNT_CREDUI_CONTEXT)", _credui_context),
    "LogonId": ("LUID *", _luid),
    "MarshaledCredUIContext": ("PUCHAR", _bytes),
    "MarshaledCredUIContextLength": _ULONG,
    "FlatCredUIContext": ("PUCHAR", _bytes),
    "FlatCredUIContextLength": _ULONG,
}

# Where two functions give one parameter name different C types, the function's own entry wins.
FUNCTION_PARAM_TYPES: dict[tuple[str, str], tuple[str, Callable[[object], None]]] = {
    ("SaslGetContextOption", "ContextHandle"): _HANDLE,
    ("SaslSetContextOption", "ContextHandle"): _HANDLE,
}

_STRING_KINDS = frozenset({"ansi_string", "wide_string"})


def _full_check(c_type: str, check: Callable[[object], None], value: object) -> None:
    """Unwrap a Ref (one level), let None through (the contract judged NULL), check the rest."""
    Ref = _ref_class()
    if isinstance(value, Ref):
        value = value.value
        if isinstance(value, Ref):
            raise _Bad(f"a Ref holding a Ref: {c_type} is one pointer, not a pointer to a pointer")
    if value is None:
        return
    check(value)


def _ref_class() -> type[Ref]:
    global _REF
    if _REF is None:
        from .model.handles import Ref

        _REF = Ref
    return _REF


_REF: type[Ref] | None = None  # model.handles.Ref, imported on first use (argtypes loads before the model)


# Compiled checks (speed, not meaning): every guarded call runs this, so each parameter's check
# is a closure that accepts the common well-formed values from their exact types and otherwise
# runs the full check above, which accepts the rest or raises the one and only message.

_Checker = Callable[[object], None]


def _compile(c_type: str, check: _Checker) -> _Checker:
    from .model.buffers import SecBuffer, SecBufferDesc
    from .model.handles import CredHandle, CtxtHandle, Ref

    def full(value: object) -> None:
        _full_check(c_type, check, value)

    if check is _handle:

        def fast(value: Any) -> None:
            t = type(value)
            if value is None or (
                (t is CredHandle or t is CtxtHandle)
                and type(value.dwLower) is int
                and type(value.dwUpper) is int
                and 0 <= value.dwLower <= ULONG_PTR_MAX
                and 0 <= value.dwUpper <= ULONG_PTR_MAX
            ):
                return
            if t is Ref and value.value is None:
                return
            full(value)

        return fast
    if check is _desc:

        def fast(value: Any) -> None:
            if value is None:
                return
            if type(value) is SecBufferDesc and type(value.ulVersion) is int and 0 <= value.ulVersion <= ULONG_MAX:
                for b in value.pBuffers:
                    if not (
                        type(b) is SecBuffer
                        and type(b.BufferType) is int
                        and type(b.cbBuffer) is int
                        and 0 <= b.BufferType <= ULONG_MAX
                        and 0 <= b.cbBuffer <= ULONG_MAX
                        and (b.pvBuffer is None or type(b.pvBuffer) is bytes or type(b.pvBuffer) is bytearray)
                    ):
                        break
                else:
                    return
            full(value)

        return fast
    if check is _ulong:

        def fast(value: Any) -> None:
            if value is None or (type(value) is int and 0 <= value <= ULONG_MAX):
                return
            full(value)

        return fast
    if check is _void:

        def fast(value: Any) -> None:
            t = type(value)
            if value is None or t is int or t is str or t is bytes:
                return
            full(value)

        return fast
    if check is _string:

        def fast(value: Any) -> None:
            t = type(value)
            if value is None or t is str or t is bytes:
                return
            full(value)

        return fast

    def other(value: object) -> None:
        if value is None:  # NULL: the contract judged it; the full check lets it through too
            return
        full(value)

    return other


# id(contract) -> (contract, ((parameter, c_type, compiled check, the check it compiles), ...),
# counterpart pairs).
_Plan = tuple[
    FunctionContract,
    tuple[tuple[ParamContract, str, _Checker, Callable[[Any], None]], ...],
    tuple[tuple[str, ParamContract, str], ...],
]
_PLANS: dict[int, _Plan] = {}


def _plan(contract: FunctionContract) -> _Plan:
    checks: list[tuple[ParamContract, str, _Checker, Callable[[Any], None]]] = []
    for p in contract.in_params():
        if p.kind in _STRING_KINDS:
            # The contract checked the encoding; the exact type is checked here.
            checks.append((p, "a string", _compile("a string", _string), _string))
            continue
        if p.kind in ("enum", "flags"):
            continue  # the contract checked the number against the page's table
        entry = FUNCTION_PARAM_TYPES.get((contract.name, p.name)) or PARAM_TYPES.get(p.name)
        if entry is None:
            continue
        checks.append((p, entry[0], _compile(*entry), entry[1]))
    plan = (contract, tuple(checks), _counterpart_params(contract))
    _PLANS[id(contract)] = plan
    return plan


def check_arguments(contract: FunctionContract, call: Any) -> None:
    """Raise ContractTypeError when an argument of ``call`` does not fit its parameter's C type.

    Runs after ``contract.validate(call)``; the first parameter (page order) that fails is named.
    """
    compiled_check(contract)(call)


def _check_each(contract: FunctionContract, call: Any) -> None:
    """The parameters one by one, in page order: the first one that fails raises."""
    plan = _PLANS.get(id(contract))
    if plan is None or plan[0] is not contract:
        plan = _plan(contract)
    for p, c_type, check, _raw in plan[1]:
        value = getattr(call, p.name, None)
        try:
            check(value)
        except _Bad as bad:
            raise ContractTypeError(
                contract.name, p.name, f"{bad} (sspi.h: {c_type})", p.clause, safe_repr(value)
            ) from None
        except Exception as e:  # a caller's object that breaks when its fields are read
            raise ContractTypeError(
                contract.name, p.name, f"the value could not be inspected ({type(e).__name__}) (sspi.h: {c_type})",
                p.clause, safe_repr(value),
            ) from None
    if plan[2]:
        _check_counterpart(contract, call, plan[2])


# -- one function per contract ------------------------------------------------------------------------
#
# check_arguments runs on every guarded call. For each contract it is compiled once into one
# function whose source reads every input parameter of the call object and tests, in one
# expression, that each value is of the common well-formed shape its C type takes (the exact
# types the compiled checks above accept at once: None, a CtxtHandle with two ints in range, an
# int in 0..ULONG_MAX, a SecBufferDesc of well-formed SecBuffers, a packed SecBuffer, package
# memory with its address in range...). Those values conform; for
# any other value (or a call object of another class, or anything that raises while it is read)
# the function runs _check_each, which accepts the rest or raises the one and only error, for
# the first parameter in page order. MakeSignature's reads
#
#     def check(call):
#         try:
#             if type(call) is call_class:
#                 v0 = call.phContext
#                 v1 = call.fQOP
#                 ...
#                 if (v0 is None or (...handle...)) and (v1 is None or (type(v1) is int and 0 <= v1 <= 4294967295)) and ...:
#                     return
#         except Exception:
#             pass
#         slow(contract, call)

_HANDLE_SHAPE = (
    "({v} is None or ((type({v}) is CtxtHandle or type({v}) is CredHandle)"
    " and type({v}.dwLower) is int and type({v}.dwUpper) is int"
    " and 0 <= {v}.dwLower <= ULONG_PTR_MAX and 0 <= {v}.dwUpper <= ULONG_PTR_MAX))"
)
_ULONG_SHAPE = "({v} is None or (type({v}) is int and 0 <= {v} <= ULONG_MAX))"
_VOID_SHAPE = (
    "({v} is None or type({v}) is int or type({v}) is str or type({v}) is bytes"
    " or ((type({v}) is AllocatedBytes or type({v}) is AllocatedStr or type({v}) is ContextBuffer)"
    " and type({v}.address) is int and 0 <= {v}.address <= ULONG_PTR_MAX))"
)
_STRING_SHAPE = "({v} is None or type({v}) is str or type({v}) is bytes)"
_DESC_SHAPE = "({v} is None or desc_shape({v}))"
_PACKED_SHAPE = "({v} is None or type({v}) is bytes or type({v}) is bytearray or buffer_shape({v}))"
_NULL_SHAPE = "({v} is None)"


def _desc_shape(value: Any) -> bool:
    """A SecBufferDesc (exact class) whose version and buffers have the well-formed shape."""
    SecBuffer, SecBufferDesc, _allocated = _buffer_classes or _load_buffer_classes()
    b: Any
    if type(value) is not SecBufferDesc or type(value.ulVersion) is not int or not 0 <= value.ulVersion <= ULONG_MAX:
        return False
    buffers = value.pBuffers
    if type(buffers) is not list:
        return False
    for b in buffers:
        if type(b) is not SecBuffer:
            return False
        buffer_type, size, data = b.BufferType, b.cbBuffer, b.pvBuffer
        if not (
            type(buffer_type) is int
            and type(size) is int
            and 0 <= buffer_type <= ULONG_MAX
            and 0 <= size <= ULONG_MAX
            and (data is None or type(data) is bytes or type(data) is bytearray)
        ):
            return False
    return True


def _buffer_shape(value: Any) -> bool:
    """A SecBuffer (exact class) of the well-formed shape: what _buffer accepts at once."""
    SecBuffer, _desc_class, AllocatedBytes = _buffer_classes or _load_buffer_classes()
    if type(value) is not SecBuffer:
        return False
    buffer_type, size, data = value.BufferType, value.cbBuffer, value.pvBuffer
    return (
        type(buffer_type) is int
        and type(size) is int
        and 0 <= buffer_type <= ULONG_MAX
        and 0 <= size <= ULONG_MAX
        and (data is None or type(data) is bytes or type(data) is bytearray or type(data) is AllocatedBytes)
    )


# model.buffers' classes and model.handles.AllocatedBytes, loaded on first use.
_buffer_classes: tuple[Any, Any, Any] | None = None


def _load_buffer_classes() -> tuple[Any, Any, Any]:
    global _buffer_classes
    from .model.buffers import SecBuffer, SecBufferDesc
    from .model.handles import AllocatedBytes

    _buffer_classes = (SecBuffer, SecBufferDesc, AllocatedBytes)
    return _buffer_classes


def _shape(check: Callable[[Any], None]) -> str:
    if check is _handle:
        return _HANDLE_SHAPE
    if check is _desc:
        return _DESC_SHAPE
    if check is _ulong:
        return _ULONG_SHAPE
    if check is _void:
        return _VOID_SHAPE
    if check is _string:
        return _STRING_SHAPE
    if check is _packed:
        return _PACKED_SHAPE
    return _NULL_SHAPE


# id(contract) -> (contract, compiled check); the contract is kept so its id is never reused.
_COMPILED_CHECKS: dict[int, tuple[FunctionContract, Callable[[Any], None]]] = {}


def compiled_check(contract: FunctionContract) -> Callable[[Any], None]:
    """The argument check of ``contract`` as one function of the call object (see above)."""
    entry = _COMPILED_CHECKS.get(id(contract))
    if entry is not None and entry[0] is contract:
        return entry[1]
    from .model.buffers import SecBufferDesc  # noqa: F401  (the model's classes, loaded)
    from .model.handles import AllocatedBytes, AllocatedStr, ContextBuffer, CredHandle, CtxtHandle

    plan = _PLANS.get(id(contract))
    if plan is None or plan[0] is not contract:
        plan = _plan(contract)
    namespace: dict[str, Any] = {
        "call_class": contract.call_class,
        "contract": contract,
        "slow": _check_each,
        "desc_shape": _desc_shape,
        "buffer_shape": _buffer_shape,
        "AllocatedBytes": AllocatedBytes,
        "AllocatedStr": AllocatedStr,
        "ContextBuffer": ContextBuffer,
        "CtxtHandle": CtxtHandle,
        "CredHandle": CredHandle,
        "ULONG_MAX": ULONG_MAX,
        "ULONG_PTR_MAX": ULONG_PTR_MAX,
    }
    lines = ["def check(call):"]
    if not plan[2]:  # a counterpart's tables are checked by _check_each only
        reads, shapes = [], []
        for i, (p, _c_type, _compiled, check) in enumerate(plan[1]):
            reads.append(f"            v{i} = call.{p.name}")
            shapes.append(_shape(check).format(v=f"v{i}"))
        lines += ["    try:", "        if type(call) is call_class:", *reads]
        lines += [f"            if {' and '.join(shapes) or 'True'}:", "                return"]
        lines += ["    except Exception:", "        pass"]
    lines.append("    slow(contract, call)")
    source = "\n".join(lines) + "\n"
    exec(compile(source, f"<argument check {contract.name}>", "exec"), namespace)
    fn: Callable[[Any], None] = namespace["check"]
    fn.source = source  # type: ignore[attr-defined]
    _COMPILED_CHECKS[id(contract)] = (contract, fn)
    return fn


def _counterpart_params(contract: FunctionContract) -> tuple[tuple[str, ParamContract, str], ...]:
    """(parameter, the counterpart's ParamContract with a value table, counterpart name) for a
    queuing async function whose page gives the parameter no table."""
    from ._generated import contract as contract_of
    from .model.async_ import COUNTERPART

    entry = COUNTERPART.get(contract.name)
    if entry is None:
        return ()
    counterpart = contract_of(entry[0])
    out = []
    for p in contract.in_params():
        if p.kind != "any":
            continue
        try:
            q = counterpart.param(p.name)
        except KeyError:
            continue
        if q.kind in ("enum", "flags"):
            out.append((p.name, q, counterpart.name))
    return tuple(out)


def _check_counterpart(contract: FunctionContract, call: Any, pairs: tuple[tuple[str, ParamContract, str], ...]) -> None:
    """A queuing async function's arguments against its synchronous counterpart's value tables."""
    from .model.handles import Ref

    for name, q, counterpart in pairs:
        value = getattr(call, name, None)
        if isinstance(value, Ref):
            value = value.value
        if value is None:
            continue
        try:
            q.check(counterpart, value)
        except ContractError as e:
            raise type(e)(
                contract.name,
                name,
                f"{e.problem}; the table of {counterpart}, whose asynchronous form this is",
                q.clause,
                e.given,
            ) from None
