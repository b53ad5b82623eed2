"""Rules that span several elements, which a per-element Shape cannot say on its own."""

from __future__ import annotations

from xml.etree.ElementTree import Element

from tipline_tui.domain.enums import InternetDetailKind
from tipline_tui.domain.xml_engine import Context, Path, Values

_INCIDENT_KINDS = frozenset(kind.value for kind in InternetDetailKind)


def check_internet_details(
    element: Element, path: Path, ctx: Context, counts: dict[str, int], values: Values
) -> None:
    """internetDetails is a choice: exactly one incident element."""
    first: str | None = None
    seen: dict[str, int] = {}
    for child in element:
        tag = child.tag
        if tag not in _INCIDENT_KINDS:
            continue
        n = seen[tag] = seen.get(tag, 0) + 1
        if first is None:
            first = tag
        elif tag != first:  # a second of the same kind is already "may appear only once"
            ctx.add(
                (path, tag, n),
                f"internetDetails holds one incident, already <{first}>; "
                "send each incident in its own internetDetails",
                child,
            )
    if first is None:
        ctx.add(
            path,
            "internetDetails must hold one incident element ("
            + ", ".join(kind.value for kind in InternetDetailKind)
            + ")",
            element,
        )


def check_report(
    element: Element, path: Path, ctx: Context, counts: dict[str, int], values: Values
) -> None:
    """A batched report carries only espIdentifier under each personOrUserReported.

    The API also wants a batched report to describe exactly one file, annotated
    viral and/or potentialMeme; files arrive as separate fileDetails documents,
    so that rule cannot be checked on the report alone and is not checked here.
    """
    if "batchedReport" not in counts:
        return
    position = 0
    for person in element:
        if person.tag != "personOrUserReported":
            continue
        position += 1
        seen: dict[str, int] = {}
        for child in person:
            tag = child.tag
            n = seen[tag] = seen.get(tag, 0) + 1
            if tag != "espIdentifier":
                ctx.add(
                    ((path, "personOrUserReported", position), tag, n),
                    f"a batched report carries only espIdentifier under personOrUserReported, "
                    f"not <{tag}>",
                    child,
                )


def check_file_details(
    element: Element, path: Path, ctx: Context, counts: dict[str, int], values: Values
) -> None:
    """potentialMeme and fileAnnotations are a choice; EXIF viewed implies the file was viewed."""
    if "potentialMeme" in counts and "fileAnnotations" in counts:
        second = element.find("fileAnnotations")
        ctx.add(
            (path, "fileAnnotations", 1),
            "send either potentialMeme or fileAnnotations, not both "
            "(fileAnnotations/potentialMeme carries the same flag)",
            second if second is not None else element,
        )
    if values.get("exif_viewed_by_esp") is True and values.get("file_viewed_by_esp") is not True:
        if "fileViewedByEsp" in counts and "file_viewed_by_esp" not in values:
            return  # fileViewedByEsp itself was invalid and is reported already
        exif = element.find("exifViewedByEsp")
        ctx.add(
            (path, "exifViewedByEsp", 1),
            "exifViewedByEsp is true, so fileViewedByEsp must be true as well",
            exif if exif is not None else element,
        )
