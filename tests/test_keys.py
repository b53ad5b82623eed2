"""Canonical identifier keys: the spellings of one person's identifiers that real reports
show must meet on a shared key, and unrelated values must not. All data is fictional
(reserved example domains, 555-01xx and Ofcom drama numbers, documentation IP ranges)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tipline_tui.domain.enums import IdentifierKind
from tipline_tui.domain.ip_keys import IP_STRENGTH
from tipline_tui.domain.key import Key
from tipline_tui.domain.keys import (
    email_account,
    fuzzy_text,
    handle_keys,
    identifier_keys,
)

# Cyrillic and Greek look-alikes, written as escapes so the source shows what they are.
CYR_A, CYR_O, CYR_ES = "\u0430", "\u043e", "\u0441"
GREEK_TAU, GREEK_OMICRON, GREEK_MU, GREEK_UPSILON = "\u03a4", "\u039f", "\u039c", "\u03a5"
ZWSP = "\u200b"
FULL_WIDTH_DARK = "\uff44\uff41\uff52\uff4b"  # d a r k in full-width forms


def keyset(kind: str, raw: str, **kw: object) -> set[tuple[str, str]]:
    return {(k.type, k.value) for k in identifier_keys(kind, raw, **kw)}  # type: ignore[arg-type]


def values(kind: str, raw: str, key_type: str, **kw: object) -> list[str]:
    keys = identifier_keys(kind, raw, **kw)  # type: ignore[arg-type]
    return [k.value for k in keys if k.type == key_type]


def one(kind: str, raw: str, key_type: str, **kw: object) -> str:
    found = values(kind, raw, key_type, **kw)
    assert len(found) == 1, (raw, key_type, identifier_keys(kind, raw))  # type: ignore[arg-type]
    return found[0]


def strength(kind: str, raw: str, key_type: str) -> float:
    (found,) = [k.strength for k in identifier_keys(kind, raw) if k.type == key_type]
    return found


def shared_types(kind: str, a: str, b: str) -> set[str]:
    return {t for t, _ in keyset(kind, a) & keyset(kind, b)}


# ------------------------------------------------------------------ email


def test_gmail_ignores_dots_tags_case_and_googlemail() -> None:
    spellings = [
        "dark.wolf@gmail.com",
        "DarkWolf@gmail.com",
        "d.a.r.k.w.o.l.f+tips@gmail.com",
        "dark.wolf+x@GoogleMail.com",
        "  DARKWOLF@GMAIL.COM ",
    ]
    assert {one("email", s, "email") for s in spellings} == {"darkwolf@gmail.com"}
    assert strength("email", spellings[0], "email") == 1.0


def test_gmail_and_other_free_mail_domains_get_no_domain_key() -> None:
    for address in ("darkwolf@gmail.com", "darkwolf@outlook.com", "darkwolf@proton.me"):
        assert values("email", address, "email_domain") == []


def test_other_domains_keep_dots_but_tags_meet_on_a_weaker_key() -> None:
    plain, tagged, other_tag = (
        "dark.wolf@example.com",
        "Dark.Wolf+tips@example.com",
        "dark.wolf+games@example.com",
    )
    assert one("email", plain, "email") == "dark.wolf@example.com"
    assert one("email", tagged, "email") == "dark.wolf+tips@example.com"
    assert one("email", "darkwolf@example.com", "email") != one("email", plain, "email")
    assert shared_types("email", plain, tagged) == {"email_base", "email_local"}
    assert shared_types("email", tagged, other_tag) == {"email_base", "email_local"}
    assert strength("email", tagged, "email_base") < strength("email", tagged, "email")


def test_local_part_alone_is_a_weak_cross_domain_key() -> None:
    a, b = "dark.wolf77@example.com", "darkwolf77@mail.example.net"
    assert shared_types("email", a, b) == {"email_local"}
    assert one("email", a, "email_local") == "darkwolf77"
    assert 0.2 <= strength("email", a, "email_local") <= 0.5


def test_generic_and_short_local_parts_get_no_local_key() -> None:
    for address in (
        "info@example.com",
        "No-Reply@example.com",
        "support@example.org",
        "bob@x.test",
    ):
        assert values("email", address, "email_local") == [], address
        assert values("email", address, "email") != []


def test_idna_domain() -> None:
    assert one("email", "user@bücher.example", "email") == "user@xn--bcher-kva.example"
    assert one("email", "USER@BÜCHER.example", "email") == "user@xn--bcher-kva.example"
    assert one("email", "user@xn--bcher-kva.example", "email") == "user@xn--bcher-kva.example"
    assert one("email", "user@bücher.example", "email_domain") == "xn--bcher-kva.example"


def test_idna_failure_keeps_the_lower_cased_domain() -> None:
    # an empty label cannot be IDNA-encoded
    assert one("email", "user@Bü..example", "email") == "user@bü..example"


def test_domain_key_only_for_rare_domains() -> None:
    assert one("email", "dark.wolf@widgets.test", "email_domain") == "widgets.test"
    assert strength("email", "dark.wolf@widgets.test", "email_domain") <= 0.1
    for reserved in ("example.com", "example.org", "example.net", "mail.example.com"):
        assert values("email", f"dark.wolf@{reserved}", "email_domain") == []


def test_value_without_at_is_only_a_weak_local_key() -> None:
    assert identifier_keys("email", "DarkWolf77") == [Key("email_local", "darkwolf77", 0.35)]
    assert identifier_keys("email", "info") == []
    assert identifier_keys("email", "darkwolf77@") == [Key("email_local", "darkwolf77", 0.35)]


def test_display_form_and_mailto_are_unwrapped() -> None:
    assert one("email", "Dark Wolf <Dark.Wolf@example.com>", "email") == "dark.wolf@example.com"
    assert one("email", "mailto:dark.wolf@example.com", "email") == "dark.wolf@example.com"


# ------------------------------------------------------------------ phone

NANP_FORMS = [
    "(212) 555-0147",
    "212.555.0147",
    "212-555-0147",
    "+1 212 555 0147",
    "2125550147",
    "+12125550147",
    "1-212-555-0147",
]


@pytest.mark.parametrize("raw", NANP_FORMS)
def test_us_forms_share_e164(raw: str) -> None:
    assert one("phone", raw, "e164") == "+12125550147"
    assert one("phone", raw, "last7") == "5550147"


def test_uk_national_form_needs_the_hint_and_matches_international() -> None:
    assert one("phone", "07700 900123", "e164", country_hints=["GB"]) == "+447700900123"
    assert one("phone", "+44 7700 900123", "e164") == "+447700900123"
    assert one("phone", "07700 900 123", "e164", country_hints=["FR", "GB"]) == "+447700900123"
    # a calling code works as a hint too, as the schema's countryCallingCode gives it
    assert one("phone", "7700 900123", "e164", country_hints=["+44"]) == "+447700900123"
    # without the hint the number is not a possible US number
    assert values("phone", "07700 900123", "e164") == []


def test_number_valid_in_a_later_region_beats_one_merely_possible_in_the_hint() -> None:
    assert one("phone", "2125550147", "e164", country_hints=["GB"]) == "+12125550147"


def test_australian_fictional_range() -> None:
    assert one("phone", "0491 570 123", "e164", country_hints=["AU"]) == "+61491570123"


def test_number_without_area_code_falls_back_to_digits_and_meets_on_last7() -> None:
    assert keyset("phone", "555-0147") == {("digits", "5550147"), ("last7", "5550147")}
    assert shared_types("phone", "555-0147", "(212) 555-0147") == {"last7"}
    assert strength("phone", "555-0147", "last7") < strength("phone", "555-0147", "digits")


def test_unusable_phones() -> None:
    for raw in ("", "   ", "911", "n/a", "12-34"):
        assert identifier_keys("phone", raw) == [], raw


def test_extension_is_not_part_of_the_number() -> None:
    assert one("phone", "(212) 555-0147 ext. 12", "e164") == "+12125550147"


# ------------------------------------------------------------------ ip


def test_ipv4_mapped_ipv6_is_the_ipv4_address() -> None:
    assert keyset("ip", "::ffff:192.0.2.1") == keyset("ip", "192.0.2.1")
    assert one("ip", "::ffff:192.0.2.1", "ip") == "192.0.2.1"


def test_networks() -> None:
    assert one("ip", "198.51.100.23", "net24") == "198.51.100.0/24"
    assert shared_types("ip", "198.51.100.23", "198.51.100.200") == {"net24"}
    assert one("ip", "2001:DB8:1:2::5", "net64") == "2001:db8:1:2::/64"
    assert one("ip", "2001:DB8:1:2::5", "ip") == "2001:db8:1:2::5"
    assert shared_types("ip", "2001:db8:1:2::5", "2001:db8:1:2:ffff::1") == {"net64"}
    assert shared_types("ip", "2001:db8:1:2::5", "2001:db8:1:3::5") == set()
    assert strength("ip", "203.0.113.9", "net24") < strength("ip", "203.0.113.9", "ip")


def test_documentation_ranges_keep_normal_strength() -> None:
    for raw in ("192.0.2.1", "198.51.100.7", "203.0.113.250", "2001:db8::1"):
        assert strength("ip", raw, "ip") == IP_STRENGTH, raw


@pytest.mark.parametrize(
    "raw",
    [
        "192.168.1.4",
        "10.0.0.1",
        "172.16.5.5",
        "100.64.0.1",
        "127.0.0.1",
        "169.254.1.1",
        "224.0.0.251",
        "255.255.255.255",
    ],
)
def test_private_shared_loopback_link_local_multicast_down_weighted(raw: str) -> None:
    assert strength("ip", raw, "ip") < IP_STRENGTH
    assert strength("ip", raw, "net24") < strength("ip", "192.0.2.1", "net24")


@pytest.mark.parametrize("raw", ["fe80::1", "fd12:3456::1", "::1"])
def test_ipv6_local_down_weighted(raw: str) -> None:
    assert strength("ip", raw, "ip") < IP_STRENGTH


def test_ip_written_with_port_brackets_or_zone() -> None:
    assert one("ip", "192.0.2.1:8080", "ip") == "192.0.2.1"
    assert one("ip", "[2001:db8::1]:443", "ip") == "2001:db8::1"
    assert one("ip", "fe80::1%eth0", "ip") == "fe80::1"


@pytest.mark.parametrize(
    "raw", ["", "not an ip", "999.1.1.1", "192.0.2", "192.0.02.1", "1.2.3.4.5"]
)
def test_invalid_ip(raw: str) -> None:
    assert identifier_keys("ip", raw) == []


# ------------------------------------------------------------------ names


def test_case_and_separators_do_not_change_the_name() -> None:
    spellings = ["dark_wolf_77", "DarkWolf77", "dark.wolf.77", "Dark-Wolf-77", "@dark_wolf_77"]
    assert {one("screen_name", s, "name") for s in spellings} == {"darkwolf77"}
    assert one("screen_name", f"dark{ZWSP}wolf77", "name") == "darkwolf77"


def test_cyrillic_homoglyphs_share_the_skeleton_not_the_name() -> None:
    spoof = f"d{CYR_A}rk_w{CYR_O}lf"
    assert one("screen_name", spoof, "name") != one("screen_name", "dark_wolf", "name")
    assert one("screen_name", spoof, "skeleton") == "darkwolf"
    assert "skeleton" in shared_types("screen_name", spoof, "dark_wolf")
    assert "name" not in shared_types("screen_name", spoof, "dark_wolf")


def test_greek_capital_homoglyphs() -> None:
    spoof = f"{GREEK_TAU}{GREEK_OMICRON}{GREEK_MU}{GREEK_MU}{GREEK_UPSILON}"
    assert one("screen_name", spoof, "skeleton") == "tommy"


def test_accents_fold_in_the_skeleton_only() -> None:
    assert one("display_name", "Zoë Smith", "name") == "zoësmith"
    assert one("display_name", "Zoë Smith", "skeleton") == "zoesmith"
    assert "skeleton" in shared_types("display_name", "Zoë Smith", "Zoe Smith")


def test_optional_marks_drop_from_the_skeleton_but_spelling_marks_stay() -> None:
    zalgo = "".join(f"{c}\u0337" for c in "darkwolf")
    assert one("screen_name", zalgo, "skeleton") == "darkwolf"
    vowelled = "\u0645\u064f\u062d\u064e\u0645\u0651\u064e\u062f"  # Muhammad with harakat
    assert values("display_name", vowelled, "skeleton")[0] == "\u0645\u062d\u0645\u062f"
    assert "skeleton" in shared_types("display_name", vowelled, "\u0645\u062d\u0645\u062f")
    # Devanagari vowel signs are letters of the name: "raamkumaar" is not "ramkumar"
    assert values("display_name", "राम कुमार", "skeleton")[0] == "रामकुमार"
    assert "skeleton" not in shared_types("display_name", "राम कुमार", "रम कुमर")


def test_full_width_is_folded() -> None:
    assert one("screen_name", FULL_WIDTH_DARK, "name") == "dark"
    assert keyset("screen_name", FULL_WIDTH_DARK) == keyset("screen_name", "dark")


def test_leet_shares_the_deleet_key() -> None:
    assert one("screen_name", "d4rk_w0lf", "deleet") == "darkwolf"
    assert "deleet" in shared_types("screen_name", "d4rk_w0lf", "dark_wolf")
    assert "name" not in shared_types("screen_name", "d4rk_w0lf", "dark_wolf")
    assert one("screen_name", "D@rk$hadow", "deleet") == "darkshadow"
    assert one("screen_name", "D@rk$hadow", "name") == "d@rk$hadow"


def test_number_suffix_stays_digits_when_de_leeting() -> None:
    assert one("screen_name", "d4rk_w0lf_77", "deleet") == "darkwolf77"
    assert "deleet" in shared_types("screen_name", "d4rk_w0lf_77", "DarkWolf77")
    # a leeted last letter before a separated number is still a letter
    assert "deleet" in shared_types("screen_name", "P4ND4_1909", "panda_1909")
    # run straight on, the last leet digit may be a letter: both readings are keys
    assert "deleet" in shared_types("screen_name", "p4nd477", "panda77")
    assert "stem" in shared_types("screen_name", "n1ght_byt3", "night_byte")


def test_several_leeted_last_letters_run_into_the_number() -> None:
    # "m4gp138" is magpie8 with its last two letters leeted: each reading is a key
    assert "hollowmagpie8" in values("screen_name", "h0ll0w.m4gp138", "deleet")
    assert "deleet" in shared_types("screen_name", "h0ll0w.m4gp138", "hollow.magpie8")
    # an unleeted word keeps its number as a number
    assert values("screen_name", "darkwolf1337", "deleet") == ["darkwolf1337"]


def test_a_handle_is_an_account_of_its_service_and_look_alikes_stay_close() -> None:
    plain = {(k.type, k.value) for k in handle_keys("Example ESP", "Dark_Wolf77")}
    leet = {(k.type, k.value) for k in handle_keys("example esp ", "d4rk.w0lf77")}
    elsewhere = {(k.type, k.value) for k in handle_keys("Other ESP", "Dark_Wolf77")}
    assert ("handle", "darkwolf77\x1fexample esp") in plain
    assert plain & leet == {("handle_alike", "darkwolf77\x1fexample esp")}
    assert not plain & elsewhere, "the same handle on another service is not the account"
    assert handle_keys("  ", "dark_wolf") == [], "no service, no account"
    strengths = {k.type: k.strength for k in handle_keys("x", "d4rk")}
    assert strengths["handle"] > strengths["handle_alike"]


def test_one_spelling_per_mailbox() -> None:
    assert email_account("Dark.Wolf+tips@Example.COM") == "dark.wolf@example.com"
    assert email_account("dark.wolf@example.com") != email_account("darkwolf@example.com")


def test_different_number_shares_only_the_stem() -> None:
    assert shared_types("screen_name", "dark_wolf_77", "dark_wolf_78") == {"stem"}
    assert shared_types("screen_name", "dark_wolf_77", "darkwolf") == {"stem"}
    assert one("screen_name", "dark_wolf_77", "stem") == "darkwolf"


def test_strength_ladder() -> None:
    screen = {k.type: k.strength for k in identifier_keys("screen_name", "dark_wolf_77")}
    display = {k.type: k.strength for k in identifier_keys("display_name", "dark_wolf_77")}
    order = ["name", "skeleton", "deleet", "stem"]
    assert [screen[t] for t in order] == sorted(screen.values(), reverse=True)
    assert screen["name"] == 0.9 and display["name"] == 0.5
    assert screen["stem"] == 0.25 and display["stem"] == 0.2
    assert all(display[t] < screen[t] for t in order)


def test_short_names_get_only_the_name_key() -> None:
    assert identifier_keys("screen_name", "Bob") == [Key("name", "bob", 0.9)]
    assert identifier_keys("screen_name", "a.b.c") == [Key("name", "abc", 0.9)]
    assert identifier_keys("display_name", "李小龍") == [Key("name", "李小龍", 0.5)]


def test_non_latin_names_keep_their_letters() -> None:
    assert one("display_name", "Дмитрий", "name") == "дмитрий"
    assert one("display_name", "Дмитрий Соколов", "name") == "дмитрийсоколов"
    assert one("display_name", "محمد علي", "name") == "محمدعلي"
    assert one("display_name", "محمـــد", "name") == "محمد"  # tatweel is decoration
    assert one("display_name", "さくら 太郎", "name") == "さくら太郎"
    # a Cyrillic name keeps its letters in the look-alike skeleton, and is read in Latin
    # letters (anyascii) as a second skeleton
    skeletons = values("display_name", "Дмитрий", "skeleton")
    assert not skeletons[0].isascii() and skeletons[1] == "dmitriy"


def test_all_look_alike_cyrillic_word_meets_the_latin_one() -> None:
    coco = f"{CYR_ES}{CYR_O}{CYR_ES}{CYR_O}"
    assert values("screen_name", coco, "skeleton")[0] == "coco"
    assert "skeleton" in shared_types("screen_name", coco, "coco")


def test_screen_and_display_names_meet_at_display_strength() -> None:
    shared = keyset("screen_name", "dark_wolf") & keyset("display_name", "Dark Wolf")
    assert ("name", "darkwolf") in shared


# ------------------------------------------------------------------ scoped ids


def test_esp_id_is_scoped_to_its_service() -> None:
    assert identifier_keys("esp_id", "PhotoShare:1000234") == [
        Key("esp_id", "photoshare:1000234", 1.0)
    ]
    assert keyset("esp_id", " Photo Share : 1000234 ") == keyset("esp_id", "photoshare:1000234")
    assert keyset("esp_id", "ChatLine:1000234").isdisjoint(keyset("esp_id", "PhotoShare:1000234"))
    assert identifier_keys("esp_id", "PhotoShare:") == []


def test_device_formatting_is_ignored() -> None:
    mac = {
        one("device_id", raw, "device")
        for raw in ("MAC:00:00:5E:00:53:AB", "mac:00-00-5e-00-53-ab", "MAC:0000.5e00.53ab")
    }
    assert mac == {"mac:00005e0053ab"}
    idfa = "IDFA:6F1C2B3A-0D4E-4F5A-9B8C-7D6E5F4A3B2C"
    assert one("device_id", idfa, "device") == "idfa:6f1c2b3a0d4e4f5a9b8c7d6e5f4a3b2c"
    assert one("device_id", "Android ID:9774d56d682e549c", "device") == "androidid:9774d56d682e549c"
    assert strength("device_id", idfa, "device") == 1.0


def test_imei_check_digit_and_zeroed_ad_ids() -> None:
    assert keyset("device_id", "IMEI:001010123456789") == keyset("device_id", "IMEI:00101012345678")
    assert identifier_keys("device_id", "IDFA:00000000-0000-0000-0000-000000000000") == []
    assert identifier_keys("device_id", "IMEI:") == []


def test_file_hash() -> None:
    md5 = "MD5: 9E107D9D372BB6826BD81D3542A419D6 "
    assert identifier_keys("file_hash", md5) == [
        Key("hash", "md5:9e107d9d372bb6826bd81d3542a419d6", 0.6)
    ]
    assert keyset("file_hash", "SHA-1:2FD4E1C67A2D28FCED849EE1BB76E7391B93EB12") == {
        ("hash", "sha1:2fd4e1c67a2d28fced849ee1bb76e7391b93eb12")
    }
    assert one("file_hash", "9e107d9d372bb6826bd81d3542a419d6", "hash").startswith("md5:")
    # the empty file's hash would link every failed upload to every other one
    assert identifier_keys("file_hash", "MD5:d41d8cd98f00b204e9800998ecf8427e") == []


# ------------------------------------------------------------------ fuzzy_text and contract


def test_fuzzy_text() -> None:
    assert fuzzy_text("screen_name", "Dark_Wolf_77") == "darkwolf77"
    assert fuzzy_text("display_name", "Дмитрий Соколов") == "дмитрийсоколов"
    assert fuzzy_text("email", "Dark.Wolf+tips@example.com") == "darkwolf"
    assert fuzzy_text("email", "d.a.r.k.wolf@gmail.com") == "darkwolf"
    assert fuzzy_text("email", "info@example.com") is None
    assert fuzzy_text("screen_name", " __ ") is None
    for kind, raw in [
        ("phone", "(212) 555-0147"),
        ("ip", "192.0.2.1"),
        ("esp_id", "PhotoShare:1000234"),
        ("device_id", "IMEI:001010123456789"),
        ("file_hash", "MD5:9e107d9d372bb6826bd81d3542a419d6"),
    ]:
        assert fuzzy_text(kind, raw) is None


@pytest.mark.parametrize("kind", [k.value for k in IdentifierKind])
@pytest.mark.parametrize("raw", ["", " ", "\t\n"])
def test_blank_values_have_no_keys(kind: str, raw: str) -> None:
    assert identifier_keys(kind, raw) == []


def test_unknown_kind_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown identifier kind"):
        identifier_keys("url", "https://example.com")


def test_keys_are_frozen() -> None:
    key = identifier_keys("screen_name", "dark_wolf")[0]
    with pytest.raises(AttributeError):
        key.value = "x"  # type: ignore[misc]


SAMPLES = [
    ("email", "Dark.Wolf+tips@example.com"),
    ("email", "dark.wolf@gmail.com"),
    ("phone", "(212) 555-0147"),
    ("phone", "555-0147"),
    ("ip", "192.168.1.4"),
    ("ip", "2001:db8:1:2::5"),
    ("screen_name", "d4rk_w0lf77"),
    ("screen_name", "dark_wolf"),
    ("display_name", "Dark Wolf"),
    ("esp_id", "PhotoShare:1000234"),
    ("device_id", "MAC:00:00:5E:00:53:AB"),
    ("file_hash", "MD5:9e107d9d372bb6826bd81d3542a419d6"),
]


def _check_contract(keys: list[Key]) -> None:
    pairs = [(k.type, k.value) for k in keys]
    assert len(pairs) == len(set(pairs)), keys
    assert [k.strength for k in keys] == sorted((k.strength for k in keys), reverse=True)
    assert all(0 < k.strength <= 1 and k.value and k.type for k in keys), keys


@pytest.mark.parametrize(("kind", "raw"), SAMPLES)
def test_keys_are_unique_and_strongest_first(kind: str, raw: str) -> None:
    keys = identifier_keys(kind, raw)
    assert keys
    _check_contract(keys)


def test_name_keys_each_once_in_ladder_order() -> None:
    # "dark_wolf" gives the same value for name, skeleton, de-leet and stem: one key each
    assert [k.type for k in identifier_keys("screen_name", "dark_wolf")] == [
        "name",
        "skeleton",
        "deleet",
        "stem",
    ]
    assert len(values("screen_name", "p4nd4", "deleet")) == 2  # two readings, both kept


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from([k.value for k in IdentifierKind]),
    st.text(max_size=40),
    st.lists(st.sampled_from(["US", "GB", "AU", "+44", "zz", "", "FR"]), max_size=3),
)
def test_any_text_gives_well_formed_keys(kind: str, raw: str, hints: list[str]) -> None:
    _check_contract(identifier_keys(kind, raw, country_hints=hints))
    text = fuzzy_text(kind, raw)
    assert text is None or text
