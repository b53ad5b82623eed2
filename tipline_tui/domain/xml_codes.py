"""The closed vocabularies of the CyberTipline XSD, copied from its enumerations.

Written out here (not read from the XSD at run time) so the parser needs no
schema file; tests compare these sets against the published XSD when it is at hand.
"""

from __future__ import annotations

from tipline_tui.domain.enums import FILE_ANNOTATIONS, REPORT_ANNOTATIONS, US_STATES, IncidentType

INCIDENT_TYPES = frozenset(t.value for t in IncidentType)
BATCHED_REPORT_REASONS = frozenset({"VIRAL_POTENTIAL_MEME"})
IP_CAPTURE_TYPES = frozenset({"Login", "Registration", "Purchase", "Upload", "Other", "Unknown"})
EMAIL_TYPES = frozenset({"Home", "Work", "Business", "Recovery"})
PHONE_TYPES = frozenset({"Mobile", "Home", "Business", "Work", "Fax", "Internet", "Recovery"})
ADDRESS_TYPES = frozenset({"Home", "Business", "Billing", "Shipping", "Technical"})
ASSOCIATED_ACCOUNT_TYPES = frozenset(
    {"Billing", "Linked", "Business", "Creator", "Parent/Guardian", "Other"}
)
FILE_RELEVANCES = frozenset({"Reported", "Supplemental Reported"})
FILE_CLASSIFICATIONS = frozenset({"A1", "A2", "B1", "B2"})
METADATA_TYPES = frozenset({"EXIF", "HASH"})
REPORT_ANNOTATION_NAMES = frozenset(REPORT_ANNOTATIONS)
FILE_ANNOTATION_NAMES = frozenset(FILE_ANNOTATIONS)

# The schema lists the empty string as a state and as a country: "not given".
STATES = frozenset(US_STATES) | {""}
COUNTRIES = frozenset(
    """
A1 A2 O1 AD AE AF AG AI AL AM AN AO AP AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL
BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CX CW CY CZ DE
DJ DK DM DO DZ EC EE EG EH ER ES ET EU FI FJ FK FM FO FR FX GA GB GD GE GF GG GH GI GL GM GN
GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH
KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO
MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL
PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV
SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN
VU WF WS XK YE YT ZA ZM ZW
""".split()  # noqa: SIM905 - a compact table, easy to compare with the XSD
) | {""}
