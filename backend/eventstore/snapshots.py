"""Snapshots of aggregates, typed by the aggregate's own annotations, so long streams load fast."""

from __future__ import annotations

import typing
from datetime import datetime
from functools import cache
from typing import Any
from uuid import UUID

import msgspec
from eventsourcing.utils import get_topic, resolve_topic

_encoder = msgspec.json.Encoder()
_BASE_FIELDS = (("_created_on", datetime), ("_modified_on", datetime))


@cache
def _state_decoder(cls: Any) -> tuple[tuple[str, ...], msgspec.json.Decoder[Any]]:
    hints = typing.get_type_hints(cls)
    fields = [
        (name, hint)
        for name, hint in hints.items()
        if typing.get_origin(hint) is not typing.ClassVar
        and name.isidentifier()
        and not name.isupper()
    ]
    struct = msgspec.defstruct(f"{cls.__qualname__}Snapshot", [*_BASE_FIELDS, *fields])
    return tuple(struct.__struct_fields__), msgspec.json.Decoder(struct)


def encode_snapshot(aggregate: Any) -> tuple[str, bytes]:
    cls: Any = type(aggregate)
    names, _ = _state_decoder(cls)
    state = vars(aggregate)
    return get_topic(cls), _encoder.encode({name: state[name] for name in names})


def decode_snapshot(stream_id: UUID, version: int, topic: str, data: bytes) -> Any:
    cls = resolve_topic(topic)
    names, decoder = _state_decoder(cls)
    typed = decoder.decode(data)
    state = {name: getattr(typed, name) for name in names}
    state.update(_id=stream_id, _version=version, _pending_events=[])
    aggregate = object.__new__(cls)
    object.__setattr__(aggregate, "__dict__", state)
    return aggregate
