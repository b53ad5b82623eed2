"""The XML fixtures and the writer's output against the published CyberTipline XSD.

The fixtures are what the parser is tested on, so they must be valid and must
between them use every element and attribute the schema has: both are checked
here, not hoped. The XSD lives beside the repository (../shared/spec), never in it.
"""

from __future__ import annotations

import ipaddress
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import xmlschema

from tipline_tui.demo.xml_export import export_xml
from tipline_tui.domain.enums import IncidentType, InternetDetailKind

XSD = Path(__file__).resolve().parents[2] / "shared/spec/cyber_tipline.xsd"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "xml"
FIXTURE_FILES = sorted(FIXTURES.glob("*.xml"))
XS = "{http://www.w3.org/2001/XMLSchema}"
DOCUMENT_ROOTS = ("report", "fileDetails", "reportResponse", "reportDoneResponse")


@pytest.fixture(scope="module")
def schema() -> xmlschema.XMLSchema:
    if not XSD.is_file():
        pytest.skip(f"the published XSD is not at {XSD}; CI keeps ../shared beside the repository")
    return xmlschema.XMLSchema(XSD)


@pytest.fixture(scope="module")
def xsd_tree() -> ET.Element:
    if not XSD.is_file():
        pytest.skip(f"the published XSD is not at {XSD}; CI keeps ../shared beside the repository")
    return ET.parse(XSD).getroot()


def _fixture_roots() -> list[ET.Element]:
    return [ET.parse(path).getroot() for path in FIXTURE_FILES]


def _walk(elem: ET.Element, path: str = "") -> Iterator[tuple[str, ET.Element]]:
    path = f"{path}/{elem.tag}"
    yield path, elem
    for child in elem:
        yield from _walk(child, path)


def _text(elem: ET.Element) -> str:
    return "".join(elem.itertext())


# ------------------------------------------------------------------ validity


def test_there_are_fixtures_of_every_document_kind() -> None:
    roots = {root.tag for root in _fixture_roots()}
    assert roots == set(DOCUMENT_ROOTS)


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: p.name)
def test_fixture_is_valid(schema: xmlschema.XMLSchema, path: Path) -> None:
    errors = list(schema.iter_errors(str(path)))
    assert not errors, f"{path.name}: {errors[0]}"


def test_writer_output_for_generated_reports_is_valid(
    schema: xmlschema.XMLSchema, tmp_path: Path
) -> None:
    written = export_xml(tmp_path, 200, seed=11)
    paths = sorted(tmp_path.iterdir())
    assert len(paths) == written > 200
    assert sum(p.name.startswith("filedetails-") for p in paths) > 50
    for path in paths:
        errors = list(schema.iter_errors(str(path)))
        assert not errors, f"{path.name}: {errors[0]}"


# ------------------------------------------------------------------ coverage


def test_fixtures_use_every_element_and_attribute_name_in_the_xsd(xsd_tree: ET.Element) -> None:
    xsd_elements = {e.get("name") for e in xsd_tree.iter(f"{XS}element") if e.get("name")}
    xsd_attributes = {a.get("name") for a in xsd_tree.iter(f"{XS}attribute") if a.get("name")}
    used_elements: set[str] = set()
    used_attributes: set[str] = set()
    for root in _fixture_roots():
        for elem in root.iter():
            used_elements.add(elem.tag)
            used_attributes.update(elem.attrib)
    assert sorted(xsd_elements - used_elements) == []
    assert sorted(xsd_attributes - used_attributes) == []
    assert sorted(used_elements - xsd_elements) == []  # no stray names either
    assert len(xsd_elements) > 100 and len(xsd_attributes) >= 15


def _schema_paths(schema: xmlschema.XMLSchema) -> tuple[set[str], set[str]]:
    """Every element path and attribute path a document of the schema can have."""
    elements: set[str] = set()
    attributes: set[str] = set()

    def walk(decl: xmlschema.XsdElement, path: str) -> None:
        path = f"{path}/{decl.name}"
        elements.add(path)
        if not decl.type.is_complex():
            return
        attributes.update(f"{path}@{name}" for name in decl.type.attributes)
        if decl.type.has_complex_content():
            for child in decl.type.content.iter_elements():
                walk(child, path)

    for root in DOCUMENT_ROOTS:
        walk(schema.elements[root], "")
    return elements, attributes


def test_fixtures_use_every_element_and_attribute_in_every_place(
    schema: xmlschema.XMLSchema,
) -> None:
    """Stronger than names: e.g. additionalInfo under victim and under associatedAccount."""
    elements, attributes = _schema_paths(schema)
    used_elements: set[str] = set()
    used_attributes: set[str] = set()
    for root in _fixture_roots():
        for path, elem in _walk(root):
            used_elements.add(path)
            used_attributes.update(f"{path}@{name}" for name in elem.attrib)
    assert sorted(elements - used_elements) == []
    assert sorted(attributes - used_attributes) == []
    assert len(elements) > 350


def _xsd_enumeration(xsd_tree: ET.Element, simple_type: str) -> set[str]:
    for node in xsd_tree.iter(f"{XS}simpleType"):
        if node.get("name") == simple_type:
            return {e.get("value", "") for e in node.iter(f"{XS}enumeration")}
    raise AssertionError(f"no simpleType {simple_type} in the XSD")


def test_fixtures_cover_every_incident_type_and_internet_detail_kind(
    xsd_tree: ET.Element,
) -> None:
    incident_types = _xsd_enumeration(xsd_tree, "incidentType")
    assert incident_types == {t.value for t in IncidentType}
    internet_choice = next(
        e for e in xsd_tree.iter(f"{XS}element") if e.get("name") == "internetDetails"
    )
    kinds = {e.get("ref") for e in internet_choice.iter(f"{XS}element") if e.get("ref")}
    assert kinds == {k.value for k in InternetDetailKind}

    used_types: set[str] = set()
    used_kinds: set[str] = set()
    for root in _fixture_roots():
        used_types.update(_text(e) for e in root.iter("incidentType"))
        used_kinds.update(child.tag for e in root.iter("internetDetails") for child in e)
    assert used_types == incident_types
    assert used_kinds == kinds


def test_fixtures_cover_the_special_cases() -> None:
    """International process, batched viral, non-Latin scripts, emoji and hostile text."""
    texts: list[str] = []
    served_abroad = batched = viral = False
    for root in _fixture_roots():
        for elem in root.iter():
            texts.append(_text(elem) if len(elem) == 0 else (elem.text or ""))
            texts.extend(elem.attrib.values())
            if elem.tag == "servedLegalProcessInternational" and elem.get("fleaCountry"):
                served_abroad = True
            if elem.tag == "batchedReport" and elem.get("reason") == "VIRAL_POTENTIAL_MEME":
                reported = list(root.iter("personOrUserReported"))
                batched = bool(reported) and all(
                    [c.tag for c in p] == ["espIdentifier"] for p in reported
                )
            if elem.tag == "fileAnnotations" and elem.find("viral") is not None:
                viral = True
    blob = "\n".join(texts)
    assert served_abroad and batched and viral
    for script, pattern in {
        "Cyrillic": "[\u0400-\u04ff]",
        "CJK": "[\u4e00-\u9fff]",
        "Kana": "[\u3040-\u30ff]",
        "Arabic": "[\u0600-\u06ff]",
        "emoji": "[\U0001f300-\U0001faff]",
        "right-to-left override": "\u202e",
        "C1 control": "[\x80-\x9f]",
    }.items():
        assert re.search(pattern, blob), f"no fixture has {script} text"
    for hostile in ("[bold]x[/bold]", "[@click=app.quit]", "<script>", "[link="):
        assert hostile in blob


# ------------------------------------------------------------------ synthetic, obviously


_RESERVED_NETS = [
    ipaddress.ip_network(n)
    for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
]
_RESERVED_HOST = re.compile(r"(^|\.)example\.(com|org|net)$")


def test_fixture_identifiers_are_reserved_for_documentation() -> None:
    for path, root in zip(FIXTURE_FILES, _fixture_roots(), strict=True):
        for elem in root.iter():
            text = _text(elem).strip()
            if elem.tag == "ipAddress":
                address = ipaddress.ip_address(text)
                assert any(address in net for net in _RESERVED_NETS), (path.name, text)
            elif elem.tag in ("email", "emailAddress"):
                assert _RESERVED_HOST.search(text.rsplit("@", 1)[1]), (path.name, text)
            elif elem.tag in ("phone", "phoneNumber"):
                assert re.search(r"55501\d\d$", re.sub(r"\D", "", text)), (path.name, text)
            elif elem.tag in ("url", "profileUrl", "legalURL", "locationOfFile"):
                parts = urlsplit(text)
                if parts.scheme in ("http", "https"):
                    assert _RESERVED_HOST.search(parts.hostname or ""), (path.name, text)
