"""Facility names as ICE and other lists write them, reduced to keys that compare exactly.

One facility is written many ways: "MONTGOMERY CNTY JAIL, PA", "LEWISBURG U.S. PEN.",
"S.C.I., CRESSON, PA", "ALLENWOOD (MED) FCI". ``name_keys`` turns a name into its normalised
forms (abbreviations spelled out, punctuation and the facility's own state dropped, with and
without any parenthesised part), and ``distinctive_words`` keeps only the words that tell one
facility from another ("LORETTO" in "LORETTO FEDERAL CORRECTIONAL INSTITUTION").

Every comparison the attribution makes is an exact comparison of these keys: no edit distances
or similarity scores, so staff can always see why two names were taken to be one facility.
The same functions build the bundled reference (``facility_reference``) and read the inputs
(``attribution``), so both sides are reduced the same way.
"""
from __future__ import annotations

import re
from functools import lru_cache

from .vocabulary import STATES

# Whole-token abbreviations, spelled out. "CO" is County in a facility name ("DELAWARE CO JAIL").
ABBREVIATIONS: dict[str, str] = {
    "CNTY": "COUNTY", "CO": "COUNTY", "CTY": "COUNTY", "CNTRY": "COUNTY",
    "CORR": "CORRECTIONAL", "CORRL": "CORRECTIONAL", "CORRECTIONS": "CORRECTIONAL",
    "CORRECTION": "CORRECTIONAL",
    "FAC": "FACILITY", "FACIL": "FACILITY", "FCLTY": "FACILITY",
    "FED": "FEDERAL", "INST": "INSTITUTION", "INSTIT": "INSTITUTION", "INSTITUTE": "INSTITUTION",
    "CTR": "CENTER", "CNTR": "CENTER", "CT": "CENTER",
    "DET": "DETENTION", "DETEN": "DETENTION", "DETN": "DETENTION",
    "DIST": "DISTRICT", "PEN": "PENITENTIARY", "DEPT": "DEPARTMENT", "OFC": "OFFICE",
    "SHERIFFS": "SHERIFF", "JUV": "JUVENILE", "JUVI": "JUVENILE",
    "HOLDROOM": "HOLD ROOM", "HOLDINGROOM": "HOLD ROOM",
    "ST": "SAINT", "STE": "SAINTE", "FT": "FORT", "MT": "MOUNT",
    "US": "UNITED STATES", "USA": "UNITED STATES",
    # facility types written as initials
    "FCI": "FEDERAL CORRECTIONAL INSTITUTION", "USP": "UNITED STATES PENITENTIARY",
    "FDC": "FEDERAL DETENTION CENTER", "FPC": "FEDERAL PRISON CAMP", "FMC": "FEDERAL MEDICAL CENTER",
    "FTC": "FEDERAL TRANSFER CENTER", "MDC": "METROPOLITAN DETENTION CENTER",
    "MCC": "METROPOLITAN CORRECTIONAL CENTER", "SCI": "STATE CORRECTIONAL INSTITUTION",
    "SRCF": "STATE REGIONAL CORRECTIONAL FACILITY", "CCC": "COMMUNITY CORRECTIONAL CENTER",
    "SPC": "SERVICE PROCESSING CENTER", "CDF": "CONTRACT DETENTION FACILITY",
    "ADC": "ADULT DETENTION CENTER", "CF": "CORRECTIONAL FACILITY", "CC": "CORRECTIONAL CENTER",
}

# Words that say what kind of place a facility is, not which one. Dropped by distinctive_words.
GENERIC_WORDS = frozenset("""
    COUNTY PARISH CITY JAIL JAILS PRISON PRISONS CORRECTIONAL CENTER CENTERS FACILITY FACILITIES
    DETENTION FEDERAL STATE STATES UNITED INSTITUTION CAMP HOLD ROOM HOLDING POLICE DISTRICT
    DEPARTMENT OFFICE SHERIFF REGIONAL PROCESSING PENITENTIARY METROPOLITAN ADULT COMPLEX ANNEX
    UNIT SECURITY LOW MEDIUM MED HIGH MINIMUM MIN MAXIMUM MAX MEDICAL LAW ENFORCEMENT PUBLIC SAFETY
    JUSTICE CRIMINAL CONTRACT SERVICE SERVICES ICE ERO IGSA MUNICIPAL BUILDING TRANSFER
    OF THE AND AT FOR IN ON
""".split())

COUNTY_MARKERS = {"COUNTY": "County", "PARISH": "Parish", "BOROUGH": "Borough"}

_ORDINAL = re.compile(r"^\d+(ST|ND|RD|TH)?$")
_PARENTHESISED = re.compile(r"\([^)]*\)?")
_NOT_WORD = re.compile(r"[^A-Z0-9]+")


def _state_suffix(state: str | None) -> re.Pattern | None:
    """', PA', ' PA.', '(PA)', '(PENNSYLVANIA)' at the end of a name in that state."""
    if state not in STATES:
        return None
    names = [re.escape(state), re.escape(STATES[state][1].upper())]
    return re.compile(rf"[\s,.\-]*\(?\s*(?:{'|'.join(names)})\s*\.?\s*\)?\s*$")


@lru_cache(maxsize=None)
def _suffix_for(state: str | None):
    return _state_suffix(state)


def tokens(text: str) -> list[str]:
    """Upper-case words with initials joined ("S.C.I." -> "SCI") and abbreviations spelled out."""
    text = str(text).upper().replace("&", " AND ").replace("'", "").replace("\u2019", "")
    raw = [t for t in _NOT_WORD.split(text) if t]
    joined: list[str] = []
    run: list[str] = []  # consecutive single letters: "S C I", "U S"
    for token in raw + [""]:
        if len(token) == 1 and token.isalpha():
            run.append(token)
            continue
        if run:
            joined.append("".join(run) if len(run) > 1 else run[0])
            run = []
        if token:
            joined.append(token)
    merged: list[str] = []
    for token in joined:  # "MC KEAN" -> "MCKEAN", as county lists write it
        if merged and merged[-1] == "MC":
            merged[-1] = "MC" + token
        else:
            merged.append(token)
    out: list[str] = []
    for token in merged:
        out.extend(ABBREVIATIONS.get(token, token).split())
    return out


def name_keys(name: object, state: str | None = None) -> tuple[str, ...]:
    """The normalised forms of a facility name: in full, then without any parenthesised part.

    The facility's own state is dropped where it trails the name ("BUCKS CNTY JAIL, PA").
    """
    if name is None:
        return ()
    text = str(name).strip().upper()
    suffix = _suffix_for(state)
    variants = [text]
    without = _PARENTHESISED.sub(" ", text)
    if without.strip() and without != text:
        variants.append(without)
    keys: list[str] = []
    for variant in variants:
        if suffix is not None:
            variant = suffix.sub("", variant)
        key = " ".join(tokens(variant))
        if key and key not in keys:
            keys.append(key)
    return tuple(keys)


def distinctive_words(key: str) -> frozenset[str]:
    """The words of a normalised name that are not generic, numbers, ordinals or single letters."""
    return frozenset(w for w in key.split()
                     if w not in GENERIC_WORDS and not _ORDINAL.match(w) and len(w) > 1)


def place_key(city: object) -> str:
    """A city as a comparison key: 'WILKES-BARRE', 'Wilkes Barre' and 'WILKESBARRE' are one place."""
    if city is None:
        return ""
    return "".join(tokens(str(city)))


def squash(text: str) -> str:
    """Letters and digits only, with Saint spelled out: compares 'DE KALB' with 'DeKalb', 'ST. LOUIS' with 'Saint Louis'."""
    return "".join(tokens(text))
