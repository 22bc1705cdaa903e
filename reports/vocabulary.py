"""The vocabularies of the coded columns (outcome, criminality, charge status, correction type, state).

Keys are matched after ``normalise_value``.
"""
from __future__ import annotations

import re


OUTCOMES = ("declined", "honored", "pending", "other")

# The Outcome column's own words. A blank outcome is pending (no outcome recorded yet).
OUTCOME_WORDS: dict[str, str] = {
    "declined": "declined",
    "honored": "honored",
    "honoured": "honored",
    "pending": "pending",
    "other": "other",
}

# Every ICE lift reason in the real data (the Pennsylvania FOIA extract, 2007-2015, and the ICE export),
# mapped explicitly; the reason itself is kept beside the outcome. A reason not listed here is an error
# (E313) until staff map it in settings.toml ([outcomes]); nothing is counted as "other" by default.
ICE_LIFT_REASONS: dict[str, tuple[str, str]] = {
    # reason as ICE writes it: (outcome, what it means)
    "Detainer Declined by LEA": ("declined", "the jail released the person without honoring the detainer"),
    "Booked into Detention": ("honored", "ICE took custody"),
    "Case Closed": ("other", "ICE closed the case"),
    "Lifted": ("other", "ICE lifted the detainer"),
    "Lifted - Lack of Funds": ("other", "ICE lifted the detainer for lack of funds"),
    "Lifted - Lack of Space": ("other", "ICE lifted the detainer for lack of detention space"),
    "Transferred": ("other", "the person was transferred to another agency or facility"),
    "Prosecutorial Discretion": ("other", "ICE exercised prosecutorial discretion"),
    "Alien Not Subject to Deportation": ("other", "the person was found not removable"),
    "United States Citizen Interviewed": ("other", "the person was found to be a US citizen"),
    "Early Release": ("other", "the person was released early; not recorded by ICE as a decline"),
    "Died": ("other", "the person died"),
}


def outcome_vocabulary(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Match key (``normalise_value``) -> outcome: the Outcome words, the ICE lift reasons and the texts staff
    mapped in settings ([outcomes]), which take precedence."""
    vocabulary = {normalise_value(text): outcome for text, outcome in OUTCOME_WORDS.items()}
    vocabulary.update({normalise_value(text): outcome for text, (outcome, _) in ICE_LIFT_REASONS.items()})
    vocabulary.update({normalise_value(text): outcome for text, outcome in (extra or {}).items()})
    return vocabulary


def outcome_texts(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Match key -> the text as staff know it, to suggest the nearest known values."""
    texts = {normalise_value(t): t for t in (*OUTCOME_WORDS, *ICE_LIFT_REASONS, *(extra or {}))}
    texts.pop("honoured", None)
    return texts


CRIMINALITY_VOCABULARY: dict[str, str] = {
    "convicted": "convicted",
    "convictedcriminal": "convicted",
    "pendingcharges": "pending charges",
    "pendingcriminalcharges": "pending charges",
    "none": "none",
    "nocriminalrecord": "none",
    "otherimmigrationviolator": "none",
}

STATUS_VOCABULARY: dict[str, str] = {
    "pending": "pending",
    "convicted": "convicted",
    "dismissed": "dismissed",
    "acquitted": "acquitted",
}

CORRECTION_TYPE_VOCABULARY: dict[str, str] = {
    "correction": "correction",
    "dispute": "correction",
    "response": "response",
    "jurisdictionresponse": "response",
    "statement": "response",
}

CHARGE_STATUSES = ("pending", "convicted", "dismissed", "acquitted")
CRIMINALITIES = ("convicted", "pending charges", "none", "unknown")


def normalise_value(text: object) -> str:
    """Vocabulary match key: lower-case letters and digits only, leading ICE code dropped."""
    s = str(text).strip().lower()
    s = re.sub(r"^\d+\s*[-.:)]?\s+(?=\D)", "", s)  # "1 Convicted Criminal" -> "convicted criminal"
    return re.sub(r"[^0-9a-z]", "", s)


OUTCOME_VOCABULARY: dict[str, str] = outcome_vocabulary()


STATES: dict[str, tuple[str, str]] = {
    # postal code: (state FIPS, name)
    "AL": ("01", "Alabama"), "AK": ("02", "Alaska"), "AZ": ("04", "Arizona"), "AR": ("05", "Arkansas"),
    "CA": ("06", "California"), "CO": ("08", "Colorado"), "CT": ("09", "Connecticut"), "DE": ("10", "Delaware"),
    "DC": ("11", "District of Columbia"), "FL": ("12", "Florida"), "GA": ("13", "Georgia"), "HI": ("15", "Hawaii"),
    "ID": ("16", "Idaho"), "IL": ("17", "Illinois"), "IN": ("18", "Indiana"), "IA": ("19", "Iowa"),
    "KS": ("20", "Kansas"), "KY": ("21", "Kentucky"), "LA": ("22", "Louisiana"), "ME": ("23", "Maine"),
    "MD": ("24", "Maryland"), "MA": ("25", "Massachusetts"), "MI": ("26", "Michigan"), "MN": ("27", "Minnesota"),
    "MS": ("28", "Mississippi"), "MO": ("29", "Missouri"), "MT": ("30", "Montana"), "NE": ("31", "Nebraska"),
    "NV": ("32", "Nevada"), "NH": ("33", "New Hampshire"), "NJ": ("34", "New Jersey"), "NM": ("35", "New Mexico"),
    "NY": ("36", "New York"), "NC": ("37", "North Carolina"), "ND": ("38", "North Dakota"), "OH": ("39", "Ohio"),
    "OK": ("40", "Oklahoma"), "OR": ("41", "Oregon"), "PA": ("42", "Pennsylvania"), "RI": ("44", "Rhode Island"),
    "SC": ("45", "South Carolina"), "SD": ("46", "South Dakota"), "TN": ("47", "Tennessee"), "TX": ("48", "Texas"),
    "UT": ("49", "Utah"), "VT": ("50", "Vermont"), "VA": ("51", "Virginia"), "WA": ("53", "Washington"),
    "WV": ("54", "West Virginia"), "WI": ("55", "Wisconsin"), "WY": ("56", "Wyoming"),
    "AS": ("60", "American Samoa"), "GU": ("66", "Guam"), "MP": ("69", "Northern Mariana Islands"),
    "PR": ("72", "Puerto Rico"), "VI": ("78", "U.S. Virgin Islands"),
}

STATE_VOCABULARY: dict[str, str] = {
    **{normalise_value(code): code for code in STATES},
    **{normalise_value(name): code for code, (_, name) in STATES.items()},
    "virginislands": "VI",
    "usvirginislands": "VI",
    "washingtondc": "DC",
}
