"""Maps domain events to stored rows with msgspec, inside eventsourcing's Mapper (so cipher and compression apply)."""

from __future__ import annotations

import dataclasses
import typing
from functools import cache
from typing import Any
from uuid import UUID

import msgspec
from eventsourcing.persistence import Mapper, StoredEvent, Transcoder
from eventsourcing.utils import get_topic, resolve_topic

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


class MsgspecMapper(Mapper[UUID]):
    """Typed msgspec encoding of eventsourcing events; upcasters `upcast_vN_vN+1` still run."""

    def __init__(self, compressor: Any = None, cipher: Any = None) -> None:
        super().__init__(MsgspecTranscoder(), compressor=compressor, cipher=cipher)

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        state = dict(vars(domain_event))
        originator_id = state.pop("originator_id")
        originator_version = state.pop("originator_version")
        class_version = getattr(type(domain_event), "class_version", 1)
        if class_version > 1:
            state["class_version"] = class_version
        data = _encoder.encode(state)
        if self.compressor:
            data = self.compressor.compress(data)
        if self.cipher:
            data = self.cipher.encrypt(data)
        return StoredEvent(
            originator_id=originator_id,
            originator_version=originator_version,
            topic=get_topic(type(domain_event)),
            state=data,
        )

    def decode_state(self, topic: str, data: bytes) -> tuple[type, dict[str, Any]]:
        """Decrypt, decompress, upcast and type the state of a stored event."""
        cls = resolve_topic(topic)
        if self.cipher:
            data = self.cipher.decrypt(data)
        if self.compressor:
            data = self.compressor.decompress(data)
        struct, decoder = _state_type(cls)
        class_version = getattr(cls, "class_version", 1)
        if class_version == 1:
            typed = decoder.decode(data)
        else:
            raw = _untyped.decode(data)
            version = raw.pop("class_version", 1)
            while version < class_version:
                getattr(cls, f"upcast_v{version}_v{version + 1}")(raw)
                version += 1
            typed = msgspec.convert(raw, struct, strict=False)
        return cls, msgspec.structs.asdict(typed)

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        cls, state = self.decode_state(stored_event.topic, stored_event.state)
        state["originator_id"] = stored_event.originator_id
        state["originator_version"] = stored_event.originator_version
        event: Any = object.__new__(cls)
        object.__setattr__(event, "__dict__", state)
        return event
