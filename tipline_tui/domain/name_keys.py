"""Screen and display name keys: the name, its look-alike skeleton, de-leeted and stem forms.

Text is folded with precompiled `str.translate` tables rather than regular expressions:
this runs for every name of every stored report.
"""

from __future__ import annotations

import unicodedata

from anyascii import anyascii

from tipline_tui.domain.key import Key, nfkc


class _CategoryTable(dict[int, int | str | None]):
    """A translate table that deletes characters by Unicode category, filled as met.

    Deciding per code point once and caching it keeps `str.translate` fast without
    building a table over all of Unicode at import.
    """

    def __init__(self, drop: frozenset[str], extra: dict[int, int | str | None]) -> None:
        super().__init__(extra)
        self._drop = drop

    def __missing__(self, cp: int) -> int | None:
        cat = unicodedata.category(chr(cp))
        value = None if cat in self._drop or cat[0] in self._drop else cp
        self[cp] = value
        return value


# Separators in names: punctuation, spaces, controls and format characters (zero-width
# joiners and spaces are an evasion trick), and ASCII-ish symbols (~ | ^ $ +). Emoji and
# other symbols (So) stay in "name" so an all-emoji name still has a key.
_NAME_DROP = frozenset({"P", "Z", "C", "Sk", "Sm", "Sc"})
# "@" and "$" inside a handle are letters in disguise (d@rk, ca$h): kept, and de-leeted later.
_NAME_EXTRA: dict[int, int | str | None] = {0x0640: None, ord("@"): "@", ord("$"): "$"}
_DROP_NAME = _CategoryTable(_NAME_DROP, _NAME_EXTRA)  # 0x0640 Arabic tatweel: decoration
# Looser forms also drop emoji and optional marks: Latin diacritics left uncomposed (and
# "Zalgo" stacks), Hebrew points and Arabic harakat, which writers often omit. Other
# marks stay: Devanagari vowel signs are spelling, not decoration.
_OPTIONAL_MARKS = (
    (0x0300, 0x036F), (0x0591, 0x05C7), (0x064B, 0x065F), (0x0670, 0x0670),
    (0x1AB0, 0x1AFF), (0x1DC0, 0x1DFF), (0x20D0, 0x20FF), (0xFE20, 0xFE2F),
)  # fmt: skip
_LOOSE_EXTRA = _NAME_EXTRA | {cp: None for lo, hi in _OPTIONAL_MARKS for cp in range(lo, hi + 1)}
_DROP_LOOSE = _CategoryTable(_NAME_DROP | {"So"}, _LOOSE_EXTRA)


def _by_name(script: str, letters: dict[str, str]) -> dict[str, str]:
    """Look-alikes spelled by Unicode name: a literal Cyrillic a reads as a Latin one in review."""
    return {unicodedata.lookup(f"{script} {name}"): latin for name, latin in letters.items()}


# Look-alikes of Latin letters. Capitals are mapped before casefolding, because
# casefolding would turn them into letters that no longer look Latin (Greek Tau -> tau).
_UPPER_HOMOGLYPHS = {
    **_by_name("GREEK CAPITAL LETTER", {
        "ALPHA": "a", "BETA": "b", "EPSILON": "e", "ZETA": "z", "ETA": "h", "IOTA": "i",
        "KAPPA": "k", "MU": "m", "NU": "n", "OMICRON": "o", "RHO": "p", "TAU": "t",
        "UPSILON": "y", "CHI": "x",
    }),
    **_by_name("CYRILLIC CAPITAL LETTER", {
        "A": "a", "VE": "b", "IE": "e", "KA": "k", "EM": "m", "EN": "h", "O": "o",
        "ER": "p", "ES": "c", "TE": "t", "U": "y", "HA": "x", "DZE": "s", "JE": "j",
        "BYELORUSSIAN-UKRAINIAN I": "i", "STRAIGHT U": "y", "QA": "q", "WE": "w",
    }),
    **_by_name("CYRILLIC LETTER", {"PALOCHKA": "l"}),
}  # fmt: skip
_LOWER_HOMOGLYPHS = {
    **_by_name("CYRILLIC SMALL LETTER", {
        "A": "a", "IE": "e", "O": "o", "ER": "p", "ES": "c", "U": "y", "HA": "x",
        "BYELORUSSIAN-UKRAINIAN I": "i", "JE": "j", "DZE": "s", "KOMI DE": "d", "SHHA": "h",
        "QA": "q", "WE": "w", "STRAIGHT U": "y", "PALOCHKA": "l",
    }),
    **_by_name("GREEK SMALL LETTER", {
        "ALPHA": "a", "OMICRON": "o", "RHO": "p", "IOTA": "i", "NU": "v", "KAPPA": "k",
        "CHI": "x", "UPSILON": "u", "GAMMA": "y",
    }),
    **_by_name("GREEK", {"LUNATE SIGMA SYMBOL": "c", "LETTER YOT": "j"}),
    **_by_name("LATIN SMALL LETTER", {
        "ALPHA": "a", "SCRIPT G": "g", "IOTA": "i", "DOTLESS I": "i", "DOTLESS J": "j",
        "L WITH STROKE": "l", "O WITH STROKE": "o", "D WITH STROKE": "d",
        "H WITH STROKE": "h", "L WITH MIDDLE DOT": "l", "TONE SIX": "b",
    }),
}  # fmt: skip


def _accent_folds() -> dict[str, str]:
    """Precomposed Latin/Greek/Cyrillic letters with marks -> their base letter."""
    folds: dict[str, str] = {}
    for lo, hi in ((0xC0, 0x250), (0x370, 0x530), (0x1E00, 0x1F00)):
        for cp in range(lo, hi):
            decomposed = unicodedata.normalize("NFD", chr(cp))
            base = decomposed[0]
            if len(decomposed) > 1 and all(unicodedata.combining(c) for c in decomposed[1:]):
                folds[chr(cp)] = _LOWER_HOMOGLYPHS.get(base, base)
    return folds


def _digit_folds() -> dict[str, str]:
    """Arabic-Indic, Persian, Devanagari and Bengali digits -> ASCII, so digit suffixes compare."""
    return {chr(start + d): str(d) for start in (0x0660, 0x06F0, 0x0966, 0x09E6) for d in range(10)}


_SKELETON_UPPER = str.maketrans(_UPPER_HOMOGLYPHS)
_SKELETON_LOWER = str.maketrans({**_accent_folds(), **_digit_folds(), **_LOWER_HOMOGLYPHS})
_LEET_SYMBOLS = str.maketrans({"@": "a", "$": "s"})
_LEET_LETTERS = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t"}
_LEET_DIGITS = str.maketrans(_LEET_LETTERS)
_ASCII_DIGITS = "0123456789"

_MIN_NAME = 4  # shorter names ("bob", "ace") collide by chance: exact key only

# strengths: (name, skeleton, de-leet, stem). The same words with other digits are as
# often another person who liked the same words: weak, under a slip or a shared network.
SCREEN = (0.9, 0.8, 0.7, 0.25)
DISPLAY = (0.5, 0.45, 0.4, 0.2)


def name_form(raw: str) -> str:
    """NFKC + casefold with separators removed: "Dark_Wolf 77" -> "darkwolf77"."""
    return nfkc(raw).strip().lstrip("@").casefold().translate(_DROP_NAME)


def _deleet(word: str) -> str:
    """De-leet a word; its trailing digits only if it is visibly leeted ("p4nd4", not "wolf77")."""
    body = word.rstrip(_ASCII_DIGITS)
    stem = body.translate(_LEET_DIGITS)
    tail = word[len(body) :]
    return stem + (tail.translate(_LEET_DIGITS) if stem != body else tail)


def _leet_readings(folded: str) -> list[tuple[str, str]]:
    """(de-leeted word, number suffix) readings of a folded name that still has separators.

    A digit run after a separator is a number ("p4nd4_1909"). Run straight on, trailing
    digits are usually a number too ("darkwolf77"), but someone who leets the word may
    leet its last letters as well ("p4nd477" for panda77, "m4gp138" for magpie8): then
    every reading of the leading leet digits as letters is given too.
    """
    head = folded.rstrip(_ASCII_DIGITS)
    suffix = folded[len(head) :]
    if head and suffix and not head[-1].isalnum():
        return [(_deleet(head.translate(_DROP_LOOSE)), suffix)]
    plain = folded.translate(_DROP_LOOSE)
    body = plain.rstrip(_ASCII_DIGITS)
    suffix = plain[len(body) :]
    stem = body.translate(_LEET_DIGITS)
    readings = [(stem, suffix)]
    if stem != body:
        for i, digit in enumerate(suffix):
            if digit not in _LEET_LETTERS:
                break
            readings.append((stem + suffix[: i + 1].translate(_LEET_DIGITS), suffix[i + 1 :]))
    return readings


def name_keys(raw: str, strengths: tuple[float, float, float, float]) -> list[Key]:
    """name, look-alike skeleton, de-leeted skeleton and digit-less stem, strongest first.

    The looser keys are emitted even when they equal the name, because the other
    report's spelling may be the one that needed folding: "dark_wolf" must carry the
    skeleton "darkwolf" for "dark_wolf" spelled with Cyrillic a and o to find it.
    """
    text = nfkc(raw).strip().lstrip("@")
    name = text.casefold().translate(_DROP_NAME)
    if not name:
        return []
    s_name, s_skel, s_leet, s_stem = strengths
    keys = [Key("name", name, s_name)]
    if len(name) < _MIN_NAME:  # early exit: every looser key is shorter still
        return keys
    folded = text.translate(_SKELETON_UPPER).casefold().translate(_SKELETON_LOWER)
    skeleton = folded.translate(_DROP_LOOSE)
    if len(skeleton) >= _MIN_NAME:
        keys.append(Key("skeleton", skeleton, s_skel))
    if not text.isascii():
        # Another script read in Latin letters ("Дерек" -> "derek"), a second skeleton a
        # little weaker than the look-alike one: it meets the Latin spelling's skeleton.
        latin = anyascii(text).casefold().translate(_DROP_LOOSE)
        if len(latin) >= _MIN_NAME and latin != skeleton:
            keys.append(Key("skeleton", latin, s_leet))
    # Readings never coincide (the second reads a digit as a letter), so no de-duplication;
    # all de-leet keys go before all stems to keep the list strongest first.
    readings = _leet_readings(folded.translate(_LEET_SYMBOLS))
    for stem, suffix in readings:
        if len(stem) + len(suffix) >= _MIN_NAME:
            keys.append(Key("deleet", stem + suffix, s_leet))
    for stem, _ in readings:
        if len(stem) >= _MIN_NAME:
            keys.append(Key("stem", stem, s_stem))
    return keys


# ------------------------------------------------------------------ one slip

# Distinctive: a word part of SLIP_MIN_STEM letters or more and a number of SLIP_MIN_DIGITS
# digits or more after it. Word pairs alone one letter apart (rusty_finch, dusty_finch)
# are as often two people who liked similar words; the same number too is not.
SLIP_MIN_STEM = 6
SLIP_MIN_DIGITS = 2


def _split_digits(form: str) -> tuple[str, str]:
    stem = form.rstrip(_ASCII_DIGITS)
    return stem, form[len(stem) :]


def slip_variants(form: str) -> set[str]:
    """The name form and it with one letter of its word part deleted (a symmetric-delete index).

    Two forms one insertion, deletion, substitution or transposition apart in their word
    part (same number after it) always share one of these. Empty for short word parts.
    """
    stem, tail = _split_digits(form)
    if len(stem) < SLIP_MIN_STEM or len(tail) < SLIP_MIN_DIGITS:
        return set()
    return {form} | {stem[:i] + stem[i + 1 :] + tail for i in range(len(stem))}


def one_slip(a: str, b: str) -> bool:
    """True for two distinctive name forms one slip apart in the word part, same number.

    A change in the digits only is not a slip: other people pick the same words with
    other numbers (that is the weak digit-less stem key's business).
    """
    stem_a, tail_a = _split_digits(a)
    stem_b, tail_b = _split_digits(b)
    if tail_a != tail_b or stem_a == stem_b or len(tail_a) < SLIP_MIN_DIGITS:
        return False
    if min(len(stem_a), len(stem_b)) < SLIP_MIN_STEM:
        return False
    from rapidfuzz.distance import OSA  # here: opening the queue needs no rapidfuzz

    return OSA.distance(stem_a, stem_b, score_cutoff=1) <= 1
