"""SASL profiles: SaslEnumerateProfilesA/W, SaslGetProfilePackageA/W, SaslIdentifyPackageA/W.

The world holds its SASL profiles in ``World.sasl_profiles`` (profile name -> package name, in
the order the functions list them); every world starts with
:data:`sspimodel.model.world.SASL_PROFILES`. The pages say the list lives in the registry under
SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SaslProfiles and name no profile: which
profiles exist and which package each maps to is an *Interpretation*.

Memory: the profile list and each SecPkgInfo the functions hand back are recorded in the calling
process's allocation table; FreeContextBuffer releases them (*Interpretation*: the pages do not
say how to free them; FreeContextBuffer is how the other functions' SecPkgInfo is freed).

Statuses: SaslEnumerateProfiles and SaslIdentifyPackage document only SEC_E_OK and "a nonzero
error code". *Interpretation*, as the auth-identity family does: a call the model must refuse
raises ContractError naming the parameter and what is wrong, instead of a status the pages do
not name.
"""

from __future__ import annotations

from typing import Any

from .buffers import SECBUFFER_TOKEN, SecBufferDesc
from .common import CONTRACT_ERROR, alloc_bytes, alloc_str, alloc_struct, fault_rules
from .rules import Call, Citation, Interpretation, Rule, register

__all__ = ["SEP_A", "SEP_W", "SGPP_A", "SGPP_W", "SIP_A", "SIP_W", "profile_list"]

_FREE = Interpretation(
    "the pages do not say how the caller releases what the function allocates",
    "it is recorded in the caller's allocation table; FreeContextBuffer releases it",
)


def profile_list(names: list[str]) -> str:
    """The profile list as laid out in memory: each name NUL-terminated, then one more NUL
    (the remarks: the list ends with a terminating NULL character)."""
    return "".join(f"{n}\0" for n in names) + "\0"


# -- SaslEnumerateProfilesA/W ---------------------------------------------------------------------


def _enumerate(c: Call) -> None:
    names = list(c.world.sasl_profiles)
    text = profile_list(names)
    if c.function.endswith("A"):
        c.out["ProfileList"] = alloc_bytes(c, text.encode("ascii"), "SASL profile list")
    else:
        c.out["ProfileList"] = alloc_str(c, text, "SASL profile list")
    c.out["ProfileCount"] = len(names)


def enumerate_rules(function: str) -> list[Rule]:
    return [
        Rule(
            "sep.ok",
            "ProfileList receives the world's profile names, each NUL-terminated, the list ended by one more "
            "NUL; ProfileCount receives how many there are",
            "SEC_E_OK",
            Citation(function, "returns", "SEC_E_OK"),
            lambda c: True,
            _enumerate,
            also=(
                Citation(function, "remarks", "The list ends with a terminating"),
                Interpretation(
                    "the page names the registry key that holds the list but no profile",
                    "the world's sasl_profiles are that list (GSSAPI and GSS-SPNEGO by default)",
                ),
                _FREE,
            ),
        ),
    ]


# -- SaslGetProfilePackageA/W ---------------------------------------------------------------------


def _profile_name(c: Call) -> str | None:
    name = c.a.ProfileName
    if isinstance(name, bytes | bytearray):
        try:
            name = bytes(name).decode("ascii")
        except UnicodeDecodeError:
            return None
    if not isinstance(name, str):
        return None
    return str(name)


def _profile_package(c: Call) -> Any:
    """The installed package the named profile maps to, or None (profile names ignore case)."""
    facts = c.facts
    if "sasl_package" not in facts:
        name = _profile_name(c)
        package = None
        if name is not None:
            for profile, package_name in c.world.sasl_profiles.items():
                if profile.lower() == name.lower():
                    package = c.world.package(package_name)
                    break
        facts["sasl_package"] = package
    return facts["sasl_package"]


def _package_info(c: Call, package: Any) -> None:
    c.out["PackageInfo"] = alloc_struct(c, package.info(), "SecPkgInfo")


def get_profile_package_rules(function: str) -> list[Rule]:
    return [
        Rule(
            "sgpp.profile_unknown",
            "ProfileName names no SASL profile of the world, or its profile's package is not installed",
            "SEC_E_SECPKG_NOT_FOUND",
            Citation(function, "returns", "SEC_E_SECPKG_NOT_FOUND"),
            lambda c: _profile_package(c) is None,
            also=(
                Interpretation(
                    "the page does not say whether profile names ignore case, nor what happens when a "
                    "profile's package was removed",
                    "names compare ignoring case; a profile whose package is not installed is not found",
                ),
            ),
        ),
        *fault_rules(function, {"SEC_E_INSUFFICIENT_MEMORY": "sgpp.fault.memory"}),
        Rule(
            "sgpp.ok",
            "PackageInfo receives the SecPkgInfo of the package the profile maps to",
            "SEC_E_OK",
            Citation(function, "returns", "SEC_E_OK"),
            lambda c: True,
            lambda c: _package_info(c, _profile_package(c)),
            also=(_FREE,),
        ),
    ]


# -- SaslIdentifyPackageA/W -----------------------------------------------------------------------


def _negotiation_bytes(c: Call) -> bytes | None:
    desc = c.a.pInput
    if not isinstance(desc, SecBufferDesc):
        return None
    buf = desc.first(SECBUFFER_TOKEN)
    if buf is None or not isinstance(buf.pvBuffer, bytes | bytearray):
        return None
    return bytes(buf.pvBuffer)


def _identified(c: Call) -> Any:
    """The package whose profile name prefixes the negotiation buffer (longest name first)."""
    facts = c.facts
    if "sasl_identified" not in facts:
        data = _negotiation_bytes(c)
        found = None
        if data is not None:
            for profile in sorted(c.world.sasl_profiles, key=lambda p: (-len(p), p)):
                prefix = profile.encode("ascii")
                if data[: len(prefix)].upper() == prefix.upper():
                    found = c.world.package(c.world.sasl_profiles[profile])
                    if found is not None:
                        break
        facts["sasl_identified"] = found
    return facts["sasl_identified"]


_PREFIX = Interpretation(
    "the page does not say what a negotiate prefix is nor how a buffer matches one",
    "the buffer is the first SECBUFFER_TOKEN of pInput; it matches a profile when it begins with the "
    "profile's name (ignoring case, longest name first); PackageInfo receives the SecPkgInfo of the "
    "package the profile maps to",
)


def identify_package_rules(function: str) -> list[Rule]:
    def raise_no_token(c: Call) -> None:
        raise c.violation(
            "pInput", "holds no SECBUFFER_TOKEN buffer with the SASL negotiation bytes", c.a.pInput
        )

    def raise_no_match(c: Call) -> None:
        raise c.violation(
            "pInput",
            "the negotiation buffer begins with no SASL profile name of the world "
            f"({', '.join(c.world.sasl_profiles) or 'none'}) whose package is installed",
            _negotiation_bytes(c),
        )

    return [
        Rule(
            "sip.no_token",
            "pInput holds no SECBUFFER_TOKEN buffer with bytes",
            CONTRACT_ERROR,
            Citation(function, "parameters: pInput", "SASL negotiation buffer"),
            lambda c: _negotiation_bytes(c) is None,
            raise_no_token,
            also=(_PREFIX,),
        ),
        Rule(
            "sip.no_match",
            "the negotiation buffer matches no profile whose package is installed",
            CONTRACT_ERROR,
            Citation(function, "returns", "On failure it returns an error code other than zero."),
            lambda c: _identified(c) is None,
            raise_no_match,
            also=(
                _PREFIX,
                Interpretation(
                    "the page names no failure code",
                    "the model refuses the call with ContractError naming pInput",
                ),
            ),
        ),
        Rule(
            "sip.ok",
            "PackageInfo receives the SecPkgInfo of the package whose profile prefixes the buffer",
            "SEC_E_OK",
            Citation(function, "returns", "SEC_E_OK"),
            lambda c: True,
            lambda c: _package_info(c, _identified(c)),
            also=(_PREFIX, _FREE),
        ),
    ]


SEP_A = register("SaslEnumerateProfilesA", enumerate_rules("SaslEnumerateProfilesA"))
SEP_W = register("SaslEnumerateProfilesW", enumerate_rules("SaslEnumerateProfilesW"))
SGPP_A = register("SaslGetProfilePackageA", get_profile_package_rules("SaslGetProfilePackageA"))
SGPP_W = register("SaslGetProfilePackageW", get_profile_package_rules("SaslGetProfilePackageW"))
SIP_A = register("SaslIdentifyPackageA", identify_package_rules("SaslIdentifyPackageA"))
SIP_W = register("SaslIdentifyPackageW", identify_package_rules("SaslIdentifyPackageW"))
