"""The package registry: AddSecurityPackageA/W and DeleteSecurityPackageA/W.

The registry is ``world.packages``, the installed packages that EnumerateSecurityPackages lists
and QuerySecurityPackageInfo, AcquireCredentialsHandle and the handshake look up: what these two
functions change, every other function sees at once.

- AddSecurityPackage installs a provider the world can load. The model's providers are its own
  packages (Negotiate, Kerberos, NTLM, Digest: :func:`~sspimodel.model.packages.standard_packages`),
  named by package name, case-insensitively (*interpretation*: the page says "the name of the
  package to be added" and nothing of DLL names). Adding one already installed changes nothing
  and succeeds (*interpretation*). An installed package goes to the end of the enumeration order.
- DeleteSecurityPackage uninstalls a package, unless handles or Negotiate still rely on it
  (errata ``doc-security-package-in-use``).
- Neither page names a failure code: the two errata entries of kind interpretation
  (``doc-security-package-not-found``, ``doc-security-package-in-use``) say what the model returns.

``pOptions`` must be a :class:`SecurityPackageOptions` (sspi.h's SECURITY_PACKAGE_OPTIONS), or the
bytes of one as laid out in memory (:meth:`SecurityPackageOptions.from_bytes`). The
page tags it [in] (required) while the Windows SDK header annotates it ``_In_opt_``; the model
follows the page. Its ``Flags`` (SECPKG_OPTIONS_PERMANENT) and ``Type`` are recorded in
``world.package_options`` and change nothing else: the simulated machine never restarts.
"""

from __future__ import annotations

from typing import Any

from attrs import frozen

from .common import CONTRACT_ERROR
from .handles import Ref
from .rules import Call, Citation, Errata, Interpretation, Rule, register

__all__ = [
    "SECPKG_OPTIONS_PERMANENT",
    "SECPKG_OPTIONS_TYPE_LSA",
    "SECPKG_OPTIONS_TYPE_SSPI",
    "SECPKG_OPTIONS_TYPE_UNKNOWN",
    "SecurityPackageOptions",
    "add_rules",
    "delete_rules",
    "loadable",
]

# sspi.h: SECURITY_PACKAGE_OPTIONS.Type and .Flags values.
SECPKG_OPTIONS_TYPE_UNKNOWN = 0
SECPKG_OPTIONS_TYPE_LSA = 1
SECPKG_OPTIONS_TYPE_SSPI = 2
SECPKG_OPTIONS_PERMANENT = 0x1

# The mechanisms Negotiate picks from (see packages.NEGOTIATE's legs).
_NEGOTIATE_MECHS = frozenset({"kerberos", "ntlm"})

NOT_FOUND = Errata(
    "doc-security-package-not-found",
    "the pages name no failure code; a name that matches no package gives SEC_E_SECPKG_NOT_FOUND",
)
IN_USE = Errata(
    "doc-security-package-in-use",
    "a package that live handles or Negotiate rely on is not removed: SEC_E_UNSUPPORTED_FUNCTION",
)


@frozen
class SecurityPackageOptions:
    """SECURITY_PACKAGE_OPTIONS (sspi.h): Size, Type, Flags, SignatureSize, Signature."""

    Size: int = 0
    Type: int = SECPKG_OPTIONS_TYPE_SSPI
    Flags: int = 0
    SignatureSize: int = 0
    Signature: bytes | None = None

    @classmethod
    def from_bytes(cls, data: bytes) -> SecurityPackageOptions | None:
        """The structure as it lies in memory: four little-endian ULONGs (Size, Type, Flags,
        SignatureSize), then the Signature pointer (4 or 8 bytes, not followed: None). What a
        caller holding raw memory, such as a conformance scenario, passes. None when the length
        is not one of those layouts."""
        if len(data) not in (16, 20, 24):
            return None
        size, kind, flags, signature_size = (int.from_bytes(data[i : i + 4], "little") for i in (0, 4, 8, 12))
        return cls(size, kind, flags, signature_size, None)


def loadable() -> dict[str, Any]:
    """The providers AddSecurityPackage can install, by lower-case name."""
    from .packages import standard_packages

    return {p.name.lower(): p for p in standard_packages()}


def _name(c: Call) -> str:
    value = c.a.pszPackageName
    if isinstance(value, Ref):
        value = value.value
    if isinstance(value, bytes | bytearray):
        value = bytes(value).decode("cp1252", "replace")
    return str(value)


def _options(c: Call) -> Any:
    value = c.a.pOptions
    value = value.value if isinstance(value, Ref) else value
    if isinstance(value, bytes | bytearray):
        return SecurityPackageOptions.from_bytes(bytes(value)) or value
    return value


def _bad_options(c: Call) -> bool:
    return not isinstance(_options(c), SecurityPackageOptions)


def _raise_options(c: Call) -> None:
    value = _options(c)
    raise c.violation(
        "pOptions",
        f"expected a SecurityPackageOptions (SECURITY_PACKAGE_OPTIONS), got {type(value).__name__}",
        value,
    )


def _install(c: Call) -> None:
    world = c.world
    name = _name(c).lower()
    if name not in world.packages:
        world.install(loadable()[name])
    options = _options(c)
    world.package_options[world.packages[name].name] = options


def _uninstall(c: Call) -> None:
    package = c.world.packages.pop(_name(c).lower())
    c.world.package_options.pop(package.name, None)


def _in_use(c: Call) -> bool:
    world = c.world
    name = _name(c).lower()
    if name in _NEGOTIATE_MECHS and "negotiate" in world.packages:
        return True
    for process in world.processes.values():
        if any(r.package.lower() == name for r in process.creds.values()):
            return True
        if any(name in (r.package.lower(), r.mech.lower()) for r in process.contexts.values()):
            return True
    return False


def add_rules(function: str) -> list[Rule]:
    return [
        Rule(
            "asp.options",
            "pOptions is not a SECURITY_PACKAGE_OPTIONS (a SecurityPackageOptions, or its bytes as laid out "
            "in memory)",
            CONTRACT_ERROR,
            Citation(
                function,
                "parameters: pOptions",
                "Points to a SECURITY_PACKAGE_OPTIONS structure that gives further information about the "
                "security package.",
            ),
            _bad_options,
            _raise_options,
        ),
        Rule(
            "asp.not_loadable",
            "pszPackageName names no provider the world can load (the comparison ignores case)",
            "SEC_E_SECPKG_NOT_FOUND",
            NOT_FOUND,
            lambda c: _name(c).lower() not in loadable(),
        ),
        Rule(
            "asp.ok",
            "the package is installed (already installed: nothing changes); EnumerateSecurityPackages "
            "and QuerySecurityPackageInfo see it",
            "SEC_E_OK",
            Citation(function, "returns", "On success the function returns SEC_E_OK."),
            lambda c: True,
            _install,
            also=(
                Citation(function, "parameters: pszPackageName", "The name of the package to be added."),
                Interpretation(
                    "Does adding a package that is already installed fail?",
                    "no: it succeeds and changes nothing but the recorded options",
                ),
            ),
        ),
    ]


def delete_rules(function: str) -> list[Rule]:
    return [
        Rule(
            "dsp.not_installed",
            "pszPackageName names no installed package (the comparison ignores case)",
            "SEC_E_SECPKG_NOT_FOUND",
            NOT_FOUND,
            lambda c: _name(c).lower() not in c.world.packages,
        ),
        Rule(
            "dsp.in_use",
            "a process still holds credentials or contexts of the package, or the package is a "
            "mechanism of the installed Negotiate (Kerberos, NTLM)",
            "SEC_E_UNSUPPORTED_FUNCTION",
            IN_USE,
            _in_use,
        ),
        Rule(
            "dsp.ok",
            "the package is uninstalled: EnumerateSecurityPackages no longer lists it, "
            "QuerySecurityPackageInfo and AcquireCredentialsHandle no longer find it",
            "SEC_E_OK",
            Citation(function, "returns", "On success the function returns SEC_E_OK."),
            lambda c: True,
            _uninstall,
            also=(
                Citation(function, "parameters: pszPackageName", "The name of the security provider to be removed."),
            ),
        ),
    ]


ASP_A = register("AddSecurityPackageA", add_rules("AddSecurityPackageA"))
ASP_W = register("AddSecurityPackageW", add_rules("AddSecurityPackageW"))
DSP_A = register("DeleteSecurityPackageA", delete_rules("DeleteSecurityPackageA"))
DSP_W = register("DeleteSecurityPackageW", delete_rules("DeleteSecurityPackageW"))
