"""An erasure asked for while the read models have not yet applied the child's drop-off: the
child's own stream says it is in a room, so the erasure waits for its collection."""

from __future__ import annotations

from tests.api.attendance_world import attending_room, check_in_body, clock_to, collected
from tests.api.world import World, idem


async def test_a_child_just_checked_in_is_not_erased_before_the_read_models_see_it_arrive(
    world: World, database_url: str
):
    """A tablet replays at 11:04 the 09:00 drop-off of a child whose booking ended at 11:00,
    and the guardian asks for erasure a moment later, before the live follower has applied
    the drop-off (it is stopped here to make the lag sure; a phone sends no X-Min-Position).
    The erasure is refused: staff go on writing about a child in their room."""
    room = await attending_room(world, children=1)
    child = room.children[0]
    clock_to(world, 124)
    runtime = world.runtime
    await runtime.projector.wait_until(await runtime.store.head_position())
    await runtime.projector.stop()
    try:
        arrived = await world.client.post(
            "/v1/attendance/check-ins", json=check_in_body(room, child),
            headers={**room.caregiver.headers, **idem()},
        )  # fmt: skip
        assert arrived.status_code == 201, arrived.text
        clock_to(world, 125)
        erased = await world.client.post(
            f"/v1/children/{child}/erasure", headers={**room.guardian.headers, **idem()}
        )
    finally:
        await runtime.projector.start(listen_dsn=database_url)
    assert erased.status_code == 409, erased.text
    assert erased.json()["type"] == "/problems/child-still-in-care"
    await runtime.projector.wait_until(await runtime.store.head_position())
    world.last_position = await runtime.store.head_position()

    await collected(world, room, 130)
    again = await world.post(f"/v1/children/{child}/erasure", {}, room.guardian)
    assert again.status_code == 200, again.text
