"""Structures the functions take or fill in, named and laid out as in sspi.h.

Members that the package allocates (strings, keys, package information) are values from
:mod:`sspimodel.model.handles` that carry an address: release them with FreeContextBuffer, as
the QueryContextAttributes page says ("Release each such member with FreeContextBuffer").
"""

from __future__ import annotations

from attrs import frozen

from .constants import SEC_WINNT_AUTH_IDENTITY_UNICODE
from .handles import AccessToken, AllocatedBytes, AllocatedStr, ContextBuffer, TimeStamp
from .packages import SecPkgInfo

__all__ = [
    "AuthIdentity",
    "SecPkgContext_AccessToken",
    "SecPkgContext_Authority",
    "SecPkgContext_ClientSpecifiedTarget",
    "SecPkgContext_DceInfo",
    "SecPkgContext_Flags",
    "SecPkgContext_KeyInfo",
    "SecPkgContext_LastClientTokenStatus",
    "SecPkgContext_Lifespan",
    "SecPkgContext_Names",
    "SecPkgContext_NativeNames",
    "SecPkgContext_NegotiationInfo",
    "SecPkgContext_PackageInfo",
    "SecPkgContext_PasswordExpiry",
    "SecPkgContext_SessionKey",
    "SecPkgContext_Sizes",
    "SecPkgContext_TargetInformation",
    "SecPkgInfo",
    "SecWinntAuthIdentity",
]


@frozen(repr=False)
class SecWinntAuthIdentity:
    """SEC_WINNT_AUTH_IDENTITY: explicit credentials passed in pAuthData."""

    User: str
    Password: str
    Domain: str | None = None
    Flags: int = SEC_WINNT_AUTH_IDENTITY_UNICODE

    def __repr__(self) -> str:
        # Never show the password.
        return f"SecWinntAuthIdentity(User={self.User!r}, Domain={self.Domain!r}, Password='***')"


AuthIdentity = SecWinntAuthIdentity


@frozen
class SecPkgContext_Sizes:
    cbMaxToken: int
    cbMaxSignature: int
    cbBlockSize: int
    cbSecurityTrailer: int


@frozen
class SecPkgContext_Names:
    sUserName: AllocatedStr


@frozen
class SecPkgContext_NativeNames:
    sClientName: AllocatedStr
    sServerName: AllocatedStr


@frozen
class SecPkgContext_Lifespan:
    tsStart: TimeStamp
    tsExpiry: TimeStamp


@frozen
class SecPkgContext_SessionKey:
    SessionKeyLength: int
    SessionKey: AllocatedBytes


@frozen
class SecPkgContext_PackageInfo:
    PackageInfo: ContextBuffer[SecPkgInfo]


@frozen
class SecPkgContext_NegotiationInfo:
    PackageInfo: ContextBuffer[SecPkgInfo]
    NegotiationState: int


@frozen
class SecPkgContext_Flags:
    Flags: int


@frozen
class SecPkgContext_Authority:
    sAuthorityName: AllocatedStr


@frozen
class SecPkgContext_AccessToken:
    AccessToken: AccessToken


@frozen
class SecPkgContext_KeyInfo:
    sSignatureAlgorithmName: AllocatedStr
    sEncryptAlgorithmName: AllocatedStr
    KeySize: int
    SignatureAlgorithm: int
    EncryptAlgorithm: int


# The general QueryContextAttributes page's attributes (spec/supplements/QueryContextAttributes-general.md);
# members named as sspi.h declares them.
@frozen
class SecPkgContext_DceInfo:
    AuthzSvc: int
    pPac: AllocatedStr


@frozen
class SecPkgContext_PasswordExpiry:
    tsPasswordExpires: TimeStamp


@frozen
class SecPkgContext_TargetInformation:
    MarshalledTargetInfoLength: int
    MarshalledTargetInfo: AllocatedBytes


@frozen
class SecPkgContext_ClientSpecifiedTarget:
    sTargetName: AllocatedStr


@frozen
class SecPkgContext_LastClientTokenStatus:
    LastClientTokenStatus: int  # SECPKG_ATTR_LCT_STATUS: Yes 0, No 1, Maybe 2
