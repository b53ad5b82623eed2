"""Rebuild domain dataclasses from plain dicts (the JSON the store keeps)."""

from __future__ import annotations

import dataclasses
import types
import typing
from functools import cache
from typing import Any, TypeVar

T = TypeVar("T")


@cache
def _fields(cls: type) -> tuple[tuple[str, Any], ...]:
    """(name, type hint) of each field of a dataclass, in order; cached per class."""
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls.__name__} is not a dataclass")
    hints = typing.get_type_hints(cls)
    return tuple((f.name, hints[f.name]) for f in dataclasses.fields(cls))


def _convert(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        inner = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        return _convert(inner[0], value) if len(inner) == 1 else value
    if origin is list:
        (item,) = typing.get_args(hint)
        return [_convert(item, v) for v in value]
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return build(hint, value)
    return value


def build(cls: type[T], data: dict[str, Any]) -> T:
    """`cls(**data)` with nested dataclasses and lists rebuilt; unknown keys ignored."""
    kind: type = cls
    kwargs = {name: _convert(hint, data[name]) for name, hint in _fields(kind) if name in data}
    return cls(**kwargs)
