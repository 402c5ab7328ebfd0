"""Snapshots of aggregates, typed by the aggregate's own annotations, so long streams load fast.

An aggregate's `personal_state` (a child's name, health records…) is sealed with its child's
key, as in its events; a snapshot whose key was destroyed is unreadable and the stream is
replayed instead (its events then read as erased)."""

from __future__ import annotations

import typing
from datetime import datetime
from functools import cache
from typing import Any
from uuid import UUID

import msgspec
from eventsourcing.utils import get_topic, resolve_topic

from backend.eventstore.child_keys import ChildKeys

_encoder = msgspec.json.Encoder()
_untyped = msgspec.json.Decoder()
_BASE_FIELDS = (("_created_on", datetime), ("_modified_on", datetime))


@cache
def _state_decoder(cls: Any) -> tuple[tuple[str, ...], msgspec.json.Decoder[Any]]:
    """The aggregate's state as a Struct. A field the class gives a value to (state gained
    since older snapshots were written) takes that value where a snapshot lacks it."""
    hints = typing.get_type_hints(cls)
    fields = [
        (name, hint) if not hasattr(cls, name) else (name, hint, getattr(cls, name))
        for name, hint in hints.items()
        if typing.get_origin(hint) is not typing.ClassVar
        and name.isidentifier()
        and not name.isupper()
        and not callable(getattr(cls, name, None))  # a mixin's note of a method it calls
    ]
    struct = msgspec.defstruct(
        f"{cls.__qualname__}Snapshot", [*_BASE_FIELDS, *fields], kw_only=True
    )
    return tuple(struct.__struct_fields__), msgspec.json.Decoder(struct)


class SnapshotUnreadable(Exception):
    """Sealed with a key that was destroyed: replay the stream instead."""


def encode_snapshot(aggregate: Any, keys: ChildKeys) -> tuple[str, bytes]:
    cls: Any = type(aggregate)
    names, _ = _state_decoder(cls)
    state = vars(aggregate)
    topic = get_topic(cls)
    wanted = {name: state[name] for name in names}
    if getattr(cls, "personal_state", ()):
        own = _encoder.encode({name: wanted.pop(name) for name in cls.personal_state})
        wanted["sealed"] = keys.seal(aggregate.id, topic, own)
    return topic, _encoder.encode(wanted)


def decode_snapshot(stream_id: UUID, version: int, topic: str, data: bytes, keys: ChildKeys) -> Any:
    cls = resolve_topic(topic)
    names, decoder = _state_decoder(cls)
    if getattr(cls, "personal_state", ()):
        raw = _untyped.decode(data)
        sealed = raw.pop("sealed", None)
        if sealed is None:
            raise SnapshotUnreadable(f"snapshot of {stream_id} is not sealed")
        opened = keys.open(stream_id, topic, sealed)
        if opened is None:
            raise SnapshotUnreadable(f"the key of {stream_id} was destroyed")
        raw.update(_untyped.decode(opened))
        typed = msgspec.convert(raw, decoder.type, strict=False)
    else:
        typed = decoder.decode(data)
    state = {name: getattr(typed, name) for name in names}
    state.update(_id=stream_id, _version=version, _pending_events=[])
    aggregate = object.__new__(cls)
    object.__setattr__(aggregate, "__dict__", state)
    return aggregate
