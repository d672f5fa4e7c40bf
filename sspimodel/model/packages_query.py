"""Package queries: QuerySecurityPackageInfoA/W and EnumerateSecurityPackagesA/W.

EnumerateSecurityPackagesA's page tags both parameters [in] although its prose says they
receive values ("Pointer to a ULONG that receives how many packages..."); the W page tags them
[out]. The generated contract follows each page, so the A function takes its two parameters as
arguments: the model reads them as the pointers they are and expects :class:`Ref` cells, which
it fills. *Interpretation*, recorded in the table below.
"""

from __future__ import annotations

from typing import Any

from .common import CONTRACT_ERROR, alloc_struct, fault_rules
from .handles import Ref
from .rules import Call, Citation, Errata, Interpretation, Rule, register, unreachable

__all__ = ["enumerate_rules", "query_info_rules"]

SECPKG_NOT_FOUND_ERRATA = Errata(
    "wine-secpkg-not-found",
    "Wine's secur32 dispatcher returns SEC_E_SECPKG_NOT_FOUND for an unknown or NULL package name",
)


def _package(c: Call) -> Any:
    facts = c.facts
    if "package" not in facts:
        # The W page heads its first parameter pPackageName (TBD; its text sits under the orphan
        # heading `#### - pszPackageName`), the A page pszPackageName.
        name = c.a.pPackageName if hasattr(c.a, "pPackageName") else c.a.pszPackageName
        facts["package"] = c.world.package(name)
    return facts["package"]


def _query(c: Call) -> None:
    c.out["ppPackageInfo"] = alloc_struct(c, _package(c).info(), "SecPkgInfo")


def query_info_rules(function: str, prefix: str = "qspi", param: str = "pszPackageName") -> list[Rule]:
    return [
        Rule(
            f"{prefix}.package_unknown",
            f"{param} names no installed package (the comparison ignores case)",
            "SEC_E_SECPKG_NOT_FOUND",
            SECPKG_NOT_FOUND_ERRATA,
            lambda c: _package(c) is None,
        ),
        Rule(
            f"{prefix}.ok",
            "ppPackageInfo receives a SecPkgInfo the package allocated (release it with FreeContextBuffer)",
            "SEC_E_OK",
            Citation(function, "returns", "On success the return value is SEC_E_OK."),
            lambda c: True,
            _query,
            also=(
                Citation(
                    function,
                    "remarks",
                    "The package allocates the SecPkgInfo structure returned in ppPackageInfo; the caller "
                    "releases it with FreeContextBuffer.",
                ),
            ),
        ),
    ]


def _enumerate(c: Call) -> None:
    infos = tuple(p.info() for p in c.world.packages.values())
    array = alloc_struct(c, infos, f"SecPkgInfo[{len(infos)}]")
    c.a.pcPackages.value = len(infos)
    c.a.ppPackageInfo.value = array


def enumerate_rules(function: str, prefix: str = "esp") -> list[Rule]:
    rules: list[Rule] = []

    # Both pages (A and W) tag the two output pointers [in].
    def not_refs(c: Call) -> bool:
        return not isinstance(c.a.pcPackages, Ref) or not isinstance(c.a.ppPackageInfo, Ref)

    def raise_refs(c: Call) -> None:
        name = "pcPackages" if not isinstance(c.a.pcPackages, Ref) else "ppPackageInfo"
        raise c.violation(
            name,
            "the page tags it [in] but it receives a value: pass a Ref() for the package to fill",
            getattr(c.a, name),
        )

    rules.append(
        Rule(
            f"{prefix}.pointers",
            "pcPackages or ppPackageInfo is not a Ref cell the function can write",
            CONTRACT_ERROR,
            Citation(
                function, "parameters: pcPackages", "Pointer to a ULONG that receives how many packages"
            ),
            not_refs,
            raise_refs,
            also=(
                Interpretation(
                    f"{function} tags pcPackages and ppPackageInfo [in] (both the A and the W page do), "
                    "and its prose says they receive values",
                    "they are pointers the function writes through: the caller passes Ref() cells",
                ),
            ),
        )
    )
    rules += [
        *fault_rules(prefix, function, ("SEC_E_INSUFFICIENT_MEMORY",)),
        Rule(
            f"{prefix}.none_installed",
            "the world has no security package installed",
            "SEC_E_SECPKG_NOT_FOUND",
            Citation(function, "returns", "SEC_E_SECPKG_NOT_FOUND"),
            lambda c: not c.world.packages,
            also=(
                Interpretation(
                    "The function takes no package name, yet documents 'No security package by the requested "
                    "name is installed': when?",
                    "when no package at all is installed",
                ),
            ),
        ),
        unreachable(
            f"{prefix}.invalid_handle",
            "SEC_E_INVALID_HANDLE",
            Citation(function, "returns", "SEC_E_INVALID_HANDLE"),
            "the function takes no handle, so none can be invalid",
        ),
        Rule(
            f"{prefix}.ok",
            "one SecPkgInfo per installed package, in one allocation (free it once with FreeContextBuffer)",
            "SEC_E_OK",
            Citation(function, "returns", "SEC_E_OK"),
            lambda c: True,
            _enumerate,
        ),
    ]
    return rules


QSPI_A = register("QuerySecurityPackageInfoA", query_info_rules("QuerySecurityPackageInfoA"))
QSPI_W = register("QuerySecurityPackageInfoW", query_info_rules("QuerySecurityPackageInfoW", param="pPackageName"))
ESP_A = register("EnumerateSecurityPackagesA", enumerate_rules("EnumerateSecurityPackagesA"))
ESP_W = register("EnumerateSecurityPackagesW", enumerate_rules("EnumerateSecurityPackagesW"))
