"""The credential prompts' data: the scripted user in front of the simulated screen, what each prompt
showed, the world's credential store and the credential UI contexts (``world.prompts``).

Split from :mod:`sspimodel.model.prompts` (which re-exports every name) so that building a world
does not import the prompt functions' rule tables: :func:`sspimodel.model.world.default_world`
needs :class:`PromptState` only.
"""

from __future__ import annotations

from collections import deque

from attrs import define, field, frozen

from .handles import Luid
from .wchar import unpaired_surrogate, utf16

__all__ = [
    "Cancel",
    "CredUiInfo",
    "CredUiState",
    "PromptShown",
    "PromptState",
    "ScriptedUser",
    "StoredCredential",
    "Submit",
]


# -- the scripted user and the world's prompt state ------------------------------------------------


@frozen
class CredUiInfo:
    """CREDUI_INFO (wincred.h): what customizes the dialog box (cbSize is implied)."""

    hwndParent: int | None = None
    pszMessageText: str | None = None
    pszCaptionText: str | None = None
    hbmBanner: int | None = None


@frozen
class Submit:
    """The user fills in the fields and clicks Submit. ``user``/``domain`` None keep what the dialog
    showed (the input identity's); ``save`` None leaves the Save check box as it was shown."""

    password: str
    user: str | None = None
    domain: str | None = None
    save: bool | None = None

    def __repr__(self) -> str:
        who = f"{self.domain}\\{self.user}" if self.domain else self.user
        extra = "" if self.save is None else f", save={self.save}"
        return f"Submit({who!r}, password='***'{extra})"


@frozen
class Cancel:
    """The user clicks Cancel (or closes the dialog)."""

    reason: str = "the user clicked Cancel"


@frozen
class PromptShown:
    """One prompt: what the dialog showed and how it ended."""

    function: str
    target: str
    package: str
    auth_error: int
    centered_on: str  # "parent window 0x..." or "screen"
    caption: str | None
    message: str | None
    filled_user: str | None  # from pInputAuthIdentity
    filled_domain: str | None
    checkbox: bool | None  # None: not shown; else ticked when shown
    answer: Submit | Cancel
    saved: bool  # the credentials were stored in the world's credential store
    context: int  # the credential UI context handle (CredUiState.handle)
    serialization: bytes  # the context marshalled (CREDUIWIN_MARSHALED_CONTEXT)

    def __repr__(self) -> str:
        box = "no Save box" if self.checkbox is None else f"Save box {'ticked' if self.checkbox else 'clear'}"
        return (
            f"PromptShown({self.function}, target={self.target!r}, package={self.package!r}, "
            f"error={self.auth_error:#x}, {box}, answer={self.answer!r}, saved={self.saved})"
        )


@define
class ScriptedUser:
    """The user in front of the simulated screen: answers prompts in the order they are queued."""

    answers: deque[Submit | Cancel] = field(factory=deque)
    shown: list[PromptShown] = field(factory=list)

    def submit(
        self, password: str, user: str | None = None, domain: str | None = None, save: bool | None = None
    ) -> ScriptedUser:
        """Queue the answer: the user types these fields and clicks Submit. A field the prompt could
        not hand back in an identity its readers accept is refused here, with ValueError or TypeError
        naming it, rather than at the prompt (see :func:`_typed_problem`)."""
        for name, value in (("password", password), ("user", user), ("domain", domain)):
            if value is None and name != "password":
                continue
            if not isinstance(value, str):
                raise TypeError(f"ScriptedUser.submit: {name} must be a string, got {type(value).__name__}")
            problem = _typed_problem(value)
            if problem is not None:
                raise ValueError(f"ScriptedUser.submit: {name} {problem}")
        # The least the returned identity can be (a field not typed here comes from the prompt's
        # input identity, or is empty); the prompt checks the whole once it knows that identity.
        size = prompted_identity_size(user or "", domain or "", password)
        if size > 0xFFFF:
            raise ValueError(f"ScriptedUser.submit: {identity_too_long(size)}")
        self.answers.append(Submit(password, user, domain, save))
        return self

    def cancel(self) -> ScriptedUser:
        self.answers.append(Cancel())
        return self

    def next_answer(self) -> Submit | Cancel:
        if not self.answers:
            return Cancel("no answer queued: the user closed the dialog")
        return self.answers.popleft()


# The packed SEC_WINNT_AUTH_IDENTITY_EX2 header (sspimodel.model.identity.EX2_HEADER.size; a
# test keeps the two equal: this leaf module does not import the identity functions).
EX2_HEADER_SIZE = 48

_IDENTITY_TOO_LONG = (
    "the identity the prompt would return (a packed SEC_WINNT_AUTH_IDENTITY_EX2 of user, domain and "
    "password) would be {size} bytes; SspiGetCredUIContext gives it back in a SEC_WINNT_AUTH_BYTE_VECTOR, "
    "whose ByteArrayLength (a USHORT) holds at most 65535 (interpretation: the dialog takes no answer that "
    "could not be given back)"
)


def prompted_identity_size(user: str, domain: str, password: str, package_list: str = "") -> int:
    """Bytes of the packed EX2 identity a prompt answered with these fields returns."""
    return EX2_HEADER_SIZE + sum(len(utf16(text)) for text in (user, domain, password, package_list))


def identity_too_long(size: int) -> str:
    return _IDENTITY_TOO_LONG.format(size=size)


def _typed_problem(text: str) -> str | None:
    """Why the dialog could not hand ``text`` back as a field of the EX2 identity it fills, or None.

    Interpretation (the prompt pages do not say): the identity SspiPromptForCredentials returns is
    read by the auth-identity functions as UTF-16 text whose byte lengths are USHORTs, so what the
    scripted user types is such text: no unpaired surrogate, at most 65,535 bytes in UTF-16."""
    where = unpaired_surrogate(text)
    if where is not None:
        return f"holds an unpaired surrogate ({where}), which no identity the prompt returns may hold"
    size = len(utf16(text))
    if size > 0xFFFF:
        return f"is {size} bytes in UTF-16; a field of the identity the prompt returns holds at most 65535"
    return None


@frozen
class StoredCredential:
    """An entry of the world's credential store (CredWrite's CREDENTIAL, reduced)."""

    type: int
    target: str
    user: str
    blob: bytes

    def __repr__(self) -> str:
        return f"StoredCredential(type={self.type}, target={self.target!r}, user={self.user!r}, blob={len(self.blob)} bytes)"


@define
class CredUiState:
    """A prompt's credential UI context: what its credential providers see and update."""

    handle: int
    luid: Luid
    target: str
    package: str
    auth_error: int
    info: CredUiInfo
    input_identity: bytes  # packed EX2, or b"" when the prompt had none
    credentials: dict[int, bytes] = field(factory=dict)  # CredType -> the context's data of that type
    stored: tuple[int, str] | None = None  # the credential-store entry the prompt saved


@define
class PromptState:
    """``world.prompts``: the scripted user, the credential store and the credential UI contexts."""

    user: ScriptedUser = field(factory=ScriptedUser)
    credman: dict[tuple[int, str], StoredCredential] = field(factory=dict)
    contexts: dict[int, CredUiState] = field(factory=dict)
    next_context: int = 0x7000
