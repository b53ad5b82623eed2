"""Made-up names: people, handles, ESPs, games, and the clinical stock texts.

Every ESP and platform is fictional and marked "(demo)"; every surname is
plainly fake; every free text says it is synthetic. Nothing here is graphic.
"""

from __future__ import annotations

from dataclasses import dataclass

from tipline_tui.domain.enums import InternetDetailKind as K

FIRST_NAMES = (
    "Alex", "Jordan", "Taylor", "Morgan", "Casey", "Riley", "Jamie", "Avery", "Quinn", "Drew",
    "Sam", "Chris", "Pat", "Robin", "Dana", "Jesse", "Cameron", "Skyler", "Reese", "Logan",
    "Michael", "David", "James", "Robert", "John", "Daniel", "Matthew", "Kevin", "Brian", "Eric",
    "Maria", "Sarah", "Laura", "Emily", "Anna", "Lucas", "Mateo", "Arjun", "Kenji", "Tunde",
)  # fmt: skip

SURNAMES = (
    "Demoson", "Testwell", "Samplefield", "Placeholder", "Mockridge", "Fakesley", "Exampleton",
    "Dummond", "Stubbins", "Fixtureby", "Sandboxer", "Prototon", "Trialworth", "Specimen",
    "Notreal", "Fictionby", "Madeupski", "Pretendo", "Synthwell", "Mockford", "Templeton-Demo",
    "Sampleberg", "Testarossi", "Fauxman", "Examplewicz",
)  # fmt: skip

NICKNAMES = ("Lex", "Jojo", "Tay", "Mo", "Case", "Ri", "J", "Ace", "Q", "D")

HANDLE_WORDS = (
    "quiet", "blue", "night", "river", "pixel", "echo", "lucky", "silver", "frost", "ember",
    "storm", "shadow", "north", "lunar", "rapid", "cosmic", "velvet", "static", "iron", "solar",
    "amber", "arctic", "autumn", "bold", "brave", "bright", "calm", "cedar", "chrome", "cinder",
    "clever", "cloud", "copper", "coral", "crimson", "crystal", "dusty", "eager", "east",
    "electric",
    "emerald", "fancy", "feral", "fuzzy", "gentle", "ginger", "glacier", "golden", "granite",
    "hazel", "hidden", "hollow", "honey", "indigo", "ivory", "jade", "jolly", "keen", "lazy",
    "lemon", "little", "lone", "maple", "marble", "midnight", "misty", "mossy", "neon", "noble",
    "oaken", "ocean", "olive", "onyx", "orbit", "pale", "peach", "pine", "plum", "polar", "prairie",
    "proud", "rusty", "saffron", "sandy", "scarlet", "shiny", "silent", "sleepy", "slate", "smoky",
    "snowy", "south", "spicy", "steel", "stone", "sunset", "swift", "tawny", "thunder", "tidal",
    "timber", "topaz", "turbo", "twilight", "ultra", "urban", "violet", "wild", "windy", "winter",
    "witty", "woolly", "zany", "zen", "zesty",
)  # fmt: skip
HANDLE_NOUNS = (
    "fox", "wolf", "gamer", "rider", "hawk", "drift", "byte", "ghost", "tiger", "falcon",
    "coder", "skater", "ranger", "nomad", "panda", "viper", "comet", "otter", "raven", "knight",
    "badger", "bandit", "bear", "beetle", "bison", "blaze", "boulder", "breeze", "buffalo",
    "cactus",
    "canyon", "cat", "cobra", "condor", "cougar", "coyote", "crane", "cricket", "crow", "dingo",
    "dolphin", "dragon", "eagle", "eel", "elk", "ferret", "finch", "fjord", "flame", "gecko",
    "glider", "goose", "gopher", "griffin", "harbor", "heron", "hornet", "husky", "ibis", "jackal",
    "jaguar", "kestrel", "koala", "lark", "lemur", "leopard", "lion", "lizard", "llama", "lynx",
    "magpie", "mantis", "marlin", "meteor", "mink", "moose", "moth", "newt", "ocelot", "orca",
    "osprey", "owl", "panther", "parrot", "pelican", "pilot", "puma", "quail", "rabbit", "robin",
    "rocket", "sailor", "salmon", "scout", "seal", "shark", "sparrow", "spider", "squid", "stag",
    "swan", "tapir", "toucan", "trout", "turtle", "walrus", "wasp", "whale", "wizard", "yak",
    "zebra",
)  # fmt: skip
OTHER_HANDLE_WORDS = ("sunny", "kitty", "bubbles", "daisy", "sparkle", "cupcake", "rainbow", "star")

EMAIL_DOMAINS = (
    "example.com",
    "example.org",
    "example.net",
    "mail.example.com",
    "inbox.example.net",
    "demo.test",
    "mailbox.example",
)
EMAIL_DOMAIN_WEIGHTS = (30, 15, 15, 20, 8, 6, 6)


@dataclass(frozen=True, slots=True)
class Esp:
    """A fictional electronic service provider and what its reports look like."""

    name: str
    slug: str
    platforms: tuple[str, ...]
    weight: float
    kinds: tuple[tuple[str, float], ...]
    salt: int


ESPS = (
    Esp(
        "Examplegram (demo)",
        "examplegram",
        ("Examplegram (demo)", "Examplegram Direct Messages (demo)", "Examplegram Stories (demo)"),
        40,
        ((K.WEB_PAGE, 5), (K.CHAT_IM, 4), (K.EMAIL, 0.3)),
        0x5A17,
    ),
    Esp(
        "ChatterBox Example (demo)",
        "chatterbox",
        ("ChatterBox Messenger (demo)", "ChatterBox Rooms (demo)"),
        18,
        ((K.CHAT_IM, 8), (K.WEB_PAGE, 1), (K.CELL_PHONE, 0.8)),
        0x3C41,
    ),
    Esp(
        "PixelPlay Games (demo)",
        "pixelplay",
        ("PixelPlay Online (demo)", "PixelPlay Voice Chat (demo)"),
        9,
        ((K.ONLINE_GAMING, 8), (K.CHAT_IM, 2)),
        0x77E0,
    ),
    Esp(
        "DemoTube Video (demo)",
        "demotube",
        ("DemoTube (demo)", "DemoTube Live (demo)"),
        8,
        ((K.WEB_PAGE, 9), (K.CHAT_IM, 1)),
        0x1B2D,
    ),
    Esp(
        "Samplemail (demo)",
        "samplemail",
        ("Samplemail Webmail (demo)",),
        6,
        ((K.EMAIL, 9), (K.WEB_PAGE, 1)),
        0x0E3A,
    ),
    Esp(
        "TestCloud Drive (demo)",
        "testcloud",
        ("TestCloud Drive (demo)", "TestCloud Photos (demo)"),
        7,
        ((K.WEB_PAGE, 6), (K.EMAIL, 1)),
        0x6F02,
    ),
    Esp(
        "Fictel Mobile (demo)",
        "fictel",
        ("Fictel Messaging (demo)",),
        4,
        ((K.CELL_PHONE, 9), (K.CHAT_IM, 1)),
        0x2D99,
    ),
    Esp(
        "SampleShare P2P (demo)",
        "sampleshare",
        ("SampleShare Client (demo)",),
        3,
        ((K.PEER_TO_PEER, 9), (K.WEB_PAGE, 1)),
        0x4B11,
    ),
    Esp(
        "ExampleNet Forums (demo)",
        "examplenet",
        ("ExampleNet Boards (demo)", "ExampleNet Usenet Gateway (demo)"),
        3,
        ((K.NEWSGROUP, 6), (K.WEB_PAGE, 4), (K.EMAIL, 1)),
        0x58C3,
    ),
    Esp(
        "Placeholder Dating (demo)",
        "placeholderdating",
        ("Placeholder Dating App (demo)",),
        2,
        ((K.CHAT_IM, 6), (K.WEB_PAGE, 2), (K.NON_INTERNET, 0.6)),
        0x0AF7,
    ),
)

CHAT_CLIENTS = (
    "ChatterBox Messenger (demo)",
    "Examplegram DM (demo)",
    "SampleChat Desktop (demo)",
    "PixelPlay Party Chat (demo)",
)
GAMES = (
    "Blockbuilder Example (demo)",
    "Kart Racer Sample (demo)",
    "Galaxy Tactics Demo",
    "Fictional Football 27 (demo)",
    "Dungeon Placeholder Online (demo)",
)
CONSOLES = ("PC", "DemoStation 5", "Examplebox Series", "Sample Switcher", "Mobile")
P2P_CLIENTS = ("SampleShare 4.2 (demo)", "DemoTorrent 1.9 (demo)", "ExampleMule 0.5 (demo)")
NEWSGROUPS = ("alt.demo.example.binaries", "alt.sample.pictures", "misc.test.example.chat")
CHAT_ROOMS = ("lobby-{n} (demo)", "room {n} (demo)", "teens-hangout-{n} (demo)", "game-{n} (demo)")
NON_INTERNET_PLACES = (
    "Riverside Park (demo location)",
    "Example Mall food court (demo location)",
    "Sample Community Center (demo location)",
    "Demo Motel, room 12 (demo location)",
)
# no MAC addresses: the documentation range has only 256, so distinct fictional people
# would share devices, which real devices never do
DEVICE_TYPES = ("IMEI", "Android ID", "IDFA", "IDFV")
EVENT_NAMES = ("Login", "Registration", "Purchase", "Upload", "Other", "Unknown")
EVENT_WEIGHTS = (50, 10, 3, 25, 7, 5)
PHONE_TYPES = ("Mobile", "Home", "Business", "Work", "Recovery")
EMAIL_TYPES = ("Home", "Work", "Business", "Recovery")

ESCALATIONS = (
    "User stated plan to meet a 13-year-old in person this weekend (synthetic demo text)",
    "Account is in ongoing contact with a minor and asked to meet tomorrow (synthetic demo text)",
    "Minor reported threats to share images unless paid; threat deadline today "
    "(synthetic demo text)",
    "Content suggests a child may be in an unsafe situation now; location attached "
    "(synthetic demo text)",
    "User referenced travelling to meet a minor within 48 hours (synthetic demo text)",
    "Minor stated they are being pressured and feel unsafe at home (synthetic demo text)",
    "Livestream indicated an ongoing situation involving a minor (synthetic demo text)",
)

CONTENT_TEXTS = (
    "Message thread between the reported account and a minor; summarised by ESP "
    "(synthetic demo text)",
    "Reported user requested images from the recipient (synthetic demo text)",
    "Shared a link to a file-sharing page flagged by hash match (synthetic demo text)",
    "Reported user asked the recipient's age and school (synthetic demo text)",
    "Conversation moved to another platform at the reported user's request (synthetic demo text)",
    "Uploaded files matched known hashes; no text content (synthetic demo text)",
)

ADDITIONAL_INFO = (
    "ESP reviewed account activity before reporting (synthetic demo text)",
    "Files detected by automated hash matching (synthetic demo text)",
    "Account was reported by another user (synthetic demo text)",
    "Reported account used several display names (synthetic demo text)",
    "Times are UTC as logged by the ESP (synthetic demo text)",
)

PROFILE_BIOS = (
    "Here for games and music (synthetic profile text)",
    "Just vibes (synthetic profile text)",
    "DM for collabs (synthetic profile text)",
    "Streaming most nights (synthetic profile text)",
)

TIME_DESCRIPTIONS = (
    "Time of upload (synthetic)",
    "Time of first message (synthetic)",
    "Time the ESP detected the content (synthetic)",
)

SCHOOLS = ("Example Middle School (demo)", "Sample High School (demo)", "Demo Academy")

# Text an ESP might send that looks like markup or worse: shown literally, never interpreted.
# Only printable characters; the escape sequence is a backslash and letters, not a control.
HOSTILE_TEXTS = (
    "see [bold]attached[/bold] log (synthetic)",
    "[red]x[/red]",
    "[link=https://example.com]profile[/link] (synthetic)",
    "<script>alert('demo')</script>",
    "'; DROP TABLE report; -- (synthetic)",
    "\\x1b[2J literal escape text (synthetic)",
    "[@click=app.quit]click me[/] (synthetic)",
    "%s %n {0} ${HOME} (synthetic)",
)

LE_AGENCIES = (
    "Example County Sheriff's Office (demo)",
    "Sampleville Police Department (demo)",
    "Demo State Police (demo)",
)
