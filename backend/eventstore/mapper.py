"""Maps domain events to stored rows with msgspec, inside eventsourcing's Mapper (so cipher and compression apply).

An event's `personal` fields (a child's name, birth date, health records…) are stored sealed
with the key of its stream's child (backend/eventstore/child_keys.py) under `sealed`; with
the key destroyed they decode as the event class's `erased` values."""

from __future__ import annotations

import dataclasses
import typing
from functools import cache
from typing import Any
from uuid import UUID

import msgspec
from eventsourcing.persistence import Mapper, StoredEvent, Transcoder
from eventsourcing.utils import get_topic, resolve_topic

from backend.eventstore.child_keys import ChildKeys

_ORIGIN_FIELDS = ("originator_id", "originator_version")
_encoder = msgspec.json.Encoder()
_untyped = msgspec.json.Decoder()


class MsgspecTranscoder(Transcoder):
    """Plain JSON for untyped state (snapshots of ad-hoc dicts); typed decoding lives in the mapper."""

    def encode(self, obj: Any) -> bytes:
        return _encoder.encode(obj)

    def decode(self, data: bytes) -> Any:
        return _untyped.decode(data)


@cache
def _state_type(cls: type) -> tuple[type[msgspec.Struct], msgspec.json.Decoder[Any]]:
    """A Struct mirroring the event dataclass without its originator fields, and its decoder."""
    hints = typing.get_type_hints(cls)
    fields = [
        (f.name, hints[f.name]) for f in dataclasses.fields(cls) if f.name not in _ORIGIN_FIELDS
    ]
    struct = msgspec.defstruct(f"{cls.__qualname__}State", fields, forbid_unknown_fields=False)
    return struct, msgspec.json.Decoder(struct)


@cache
def _sealed_parts(cls: type) -> tuple[type[msgspec.Struct], type[msgspec.Struct]]:
    """For an event class with personal fields: a Struct of them and a Struct of the other
    fields (both typed as the event declares them)."""
    personal: tuple[str, ...] = cls.personal  # type: ignore[attr-defined]
    struct, _ = _state_type(cls)
    hints = typing.get_type_hints(struct)
    own = msgspec.defstruct(
        f"{cls.__qualname__}Personal",
        [(n, hints[n]) for n in personal],
        forbid_unknown_fields=False,
    )
    rest = msgspec.defstruct(
        f"{cls.__qualname__}Rest",
        [(n, hints[n]) for n in struct.__struct_fields__ if n not in personal],
        forbid_unknown_fields=False,
    )
    return own, rest


@cache
def seals_personal_data(topic: str) -> bool:
    """Whether rows of this topic (an event's, or an aggregate's snapshot) hold sealed data."""
    cls = resolve_topic(topic)
    return bool(getattr(cls, "personal", ()) or getattr(cls, "personal_state", ()))


def _typed(raw: dict[str, Any], struct: type[msgspec.Struct]) -> dict[str, Any]:
    return msgspec.structs.asdict(msgspec.convert(raw, struct, strict=False))


class MsgspecMapper(Mapper[UUID]):
    """Typed msgspec encoding of eventsourcing events; upcasters `upcast_vN_vN+1` still run."""

    def __init__(
        self, compressor: Any = None, cipher: Any = None, keys: ChildKeys | None = None
    ) -> None:
        super().__init__(MsgspecTranscoder(), compressor=compressor, cipher=cipher)
        self.keys = keys or ChildKeys()

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        state = dict(vars(domain_event))
        originator_id = state.pop("originator_id")
        originator_version = state.pop("originator_version")
        cls = type(domain_event)
        class_version = getattr(cls, "class_version", 1)
        if class_version > 1:
            state["class_version"] = class_version
        topic = get_topic(cls)
        personal = getattr(cls, "personal", ())
        if personal:
            own = {name: state.pop(name) for name in personal}
            plain = _encoder.encode(own)
            state["sealed"] = self.keys.seal(originator_id, topic, plain)
        data = _encoder.encode(state)
        if self.compressor:
            data = self.compressor.compress(data)
        if self.cipher:
            data = self.cipher.encrypt(data)
        return StoredEvent(
            originator_id=originator_id,
            originator_version=originator_version,
            topic=topic,
            state=data,
        )

    def decode_state(
        self, topic: str, data: bytes, stream_id: UUID | None = None
    ) -> tuple[type, dict[str, Any]]:
        """Decrypt, decompress, upcast, open what is sealed and type the state of a stored
        event (`stream_id` is needed for events with personal fields)."""
        cls = resolve_topic(topic)
        if self.cipher:
            data = self.cipher.decrypt(data)
        if self.compressor:
            data = self.compressor.decompress(data)
        struct, decoder = _state_type(cls)
        class_version = getattr(cls, "class_version", 1)
        personal = getattr(cls, "personal", ())
        if class_version == 1 and not personal:
            return cls, msgspec.structs.asdict(decoder.decode(data))
        raw = _untyped.decode(data)
        version = raw.pop("class_version", 1)
        while version < class_version:
            getattr(cls, f"upcast_v{version}_v{version + 1}")(raw)
            version += 1
        if not personal:
            return cls, msgspec.structs.asdict(msgspec.convert(raw, struct, strict=False))
        assert stream_id is not None, f"{topic} has personal fields: its stream is needed"
        own_type, rest_type = _sealed_parts(cls)
        sealed = raw.pop("sealed", None)
        if sealed is None:  # stored before sealing existed: the fields are plain
            own = _typed({name: raw.pop(name) for name in personal}, own_type)
        else:
            opened = self.keys.open(stream_id, topic, sealed)
            own = dict(cls.erased) if opened is None else _typed(_untyped.decode(opened), own_type)
        state = _typed(raw, rest_type)
        state.update(own)
        return cls, state

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        stream_id = stored_event.originator_id
        cls, state = self.decode_state(
            stored_event.topic,
            stored_event.state,
            stream_id if isinstance(stream_id, UUID) else UUID(stream_id),
        )
        state["originator_id"] = stored_event.originator_id
        state["originator_version"] = stored_event.originator_version
        event: Any = object.__new__(cls)
        object.__setattr__(event, "__dict__", state)
        return event
