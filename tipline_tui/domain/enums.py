"""The closed vocabularies of the CyberTipline schema and of triage."""

from __future__ import annotations

from enum import StrEnum


class IncidentType(StrEnum):
    """The schema's `incidentType` enumeration, with short labels for narrow tables."""

    CHILD_PORNOGRAPHY = "Child Pornography (possession, manufacture, and distribution)"
    SEX_TRAFFICKING = "Child Sex Trafficking"
    SEX_TOURISM = "Child Sex Tourism"
    MOLESTATION = "Child Sexual Molestation"
    MISLEADING_DOMAIN = "Misleading Domain Name"
    MISLEADING_WORDS = "Misleading Words or Digital Images on the Internet"
    ENTICEMENT = "Online Enticement of Children for Sexual Acts"
    UNSOLICITED_OBSCENE = "Unsolicited Obscene Material Sent to a Child"

    @property
    def short(self) -> str:
        return _INCIDENT_SHORT[self]


_INCIDENT_SHORT = {
    IncidentType.CHILD_PORNOGRAPHY: "CSAM",
    IncidentType.SEX_TRAFFICKING: "Traffic",
    IncidentType.SEX_TOURISM: "Tourism",
    IncidentType.MOLESTATION: "Molest",
    IncidentType.MISLEADING_DOMAIN: "MisDom",
    IncidentType.MISLEADING_WORDS: "MisWord",
    IncidentType.ENTICEMENT: "Entice",
    IncidentType.UNSOLICITED_OBSCENE: "Obscene",
}


def incident_short(value: str) -> str:
    """Short label for a stored incident type; unknown values are shown truncated, not hidden."""
    try:
        return IncidentType(value).short
    except ValueError:
        return value[:7]


class Priority(StrEnum):
    """Analyst priority. E is imminent danger; info is information only."""

    E = "E"
    P1 = "1"
    P2 = "2"
    P3 = "3"
    INFO = "info"


class Status(StrEnum):
    """Where a tip is in its life."""

    NEW = "new"
    CLAIMED = "claimed"
    ASSIGNED = "assigned"
    REFERRED = "referred"
    CLOSED = "closed"


# not yet referred and not closed: what on-call and the time-limit clocks watch
WAITING_STATUSES = (Status.NEW.value, Status.CLAIMED.value, Status.ASSIGNED.value)


def is_urgent(priority: str | None, escalated: bool) -> bool:
    """The urgency rule: priority E, or ESP-escalated until an analyst has set a priority.

    An ESP's escalation stands only until someone has judged the tip; an analyst who
    sets priority 2 on an escalated tip has decided it is not an emergency.
    """
    return priority == Priority.E.value or (escalated and priority is None)


def urgency_rank(priority: str | None, escalated: bool) -> int:
    """Queue order bucket: urgent (see `is_urgent`), 1, untriaged, 2, 3, info.

    Untriaged tips sit after priority 1 and before 2: nobody has judged them yet,
    so they must not sink below tips already judged less urgent.
    """
    if is_urgent(priority, escalated):
        return 0
    return {Priority.P1.value: 1, None: 2, Priority.P2.value: 3, Priority.P3.value: 4}.get(
        priority, 5
    )


class PersonRole(StrEnum):
    REPORTED = "reported"
    VICTIM = "victim"
    RECIPIENT = "recipient"
    ASSOCIATED = "associated"


class InternetDetailKind(StrEnum):
    """The eight internetDetails choices, by element name."""

    WEB_PAGE = "webPageIncident"
    EMAIL = "emailIncident"
    NEWSGROUP = "newsgroupIncident"
    CHAT_IM = "chatImIncident"
    ONLINE_GAMING = "onlineGamingIncident"
    CELL_PHONE = "cellPhoneIncident"
    NON_INTERNET = "nonInternetIncident"
    PEER_TO_PEER = "peer2peerIncident"


class IdentifierKind(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    SCREEN_NAME = "screen_name"
    DISPLAY_NAME = "display_name"
    ESP_ID = "esp_id"
    IP = "ip"
    DEVICE_ID = "device_id"
    FILE_HASH = "file_hash"


class AgencyKind(StrEnum):
    ICAC = "icac"
    LOCAL = "local"
    FEDERAL = "federal"
    INTERNATIONAL = "international"


REPORT_ANNOTATIONS = (
    "sextortion",
    "csamSolicitation",
    "minorToMinorInteraction",
    "spam",
    "sadisticOnlineExploitation",
)

FILE_ANNOTATIONS = (
    "animeDrawingVirtualHentai",
    "potentialMeme",
    "viral",
    "possibleSelfProduction",
    "physicalHarm",
    "violenceGore",
    "bestiality",
    "liveStreaming",
    "infant",
    "generativeAi",
)

US_STATES = [
    "AK",
    "AL",
    "AR",
    "AZ",
    "CA",
    "CO",
    "CT",
    "DC",
    "DE",
    "FL",
    "GA",
    "GU",
    "HI",
    "IA",
    "ID",
    "IL",
    "IN",
    "KS",
    "KY",
    "LA",
    "MA",
    "MD",
    "ME",
    "MI",
    "MN",
    "MO",
    "MS",
    "MT",
    "NC",
    "ND",
    "NE",
    "NH",
    "NJ",
    "NM",
    "NV",
    "NY",
    "OH",
    "OK",
    "OR",
    "PA",
    "PR",
    "RI",
    "SC",
    "SD",
    "TN",
    "TX",
    "UT",
    "VA",
    "VI",
    "VT",
    "WA",
    "WI",
    "WV",
    "WY",
]
