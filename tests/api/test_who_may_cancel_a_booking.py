"""The refund preview says whether the caller may cancel the booking by the same rule as the
cancel itself: a caregiver of the institution sees the booking but may not cancel it; an admin of
the institution may, refunding in full; a guardian of the child may, under the policy."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from tests.api.attendance_world import caregiver_of
from tests.api.booking_world import bookable_room, booking_body, child_of
from tests.api.world import Caller, World


async def _booked(world: World) -> tuple[UUID, Caller, Caller, str]:
    """A booking days ahead (full refund under the policy): its institution, the institution's
    admin, the child's guardian, the booking's id."""
    institution_id, room_id, admin = await bookable_room(world)
    parent = await world.guardian()
    body = booking_body(institution_id, room_id, await child_of(world, parent))
    booked = await world.post("/v1/bookings", body, parent)
    assert booked.status_code == 201, booked.text
    return institution_id, admin, parent, str(booked.json()["id"])


async def _preview(world: World, booking_id: str, who: Caller) -> dict[str, Any]:
    path = f"/v1/bookings/{booking_id}/refund-preview"
    response = await world.client.get(path, headers=world.fresh(who.headers))
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_the_refund_preview_tells_a_caregiver_they_may_not_cancel_as_the_cancel_does(
    world: World,
):
    institution_id, admin, _, booking_id = await _booked(world)
    caregiver = await caregiver_of(world, institution_id, admin)
    preview = await _preview(world, booking_id, caregiver)
    assert (preview["cancellable"], preview["refund_fen"]) == (False, 0), preview
    cancelled = await world.post(f"/v1/bookings/{booking_id}/cancel", {}, caregiver)
    assert cancelled.status_code == 403, cancelled.text


async def test_the_refund_preview_tells_the_admin_and_the_guardian_what_their_cancel_refunds(
    world: World,
):
    _, admin, parent, booking_id = await _booked(world)
    for who in (admin, parent):
        preview = await _preview(world, booking_id, who)
        assert (preview["cancellable"], preview["refund_fen"]) == (True, 6000), preview
    cancelled = await world.post(f"/v1/bookings/{booking_id}/cancel", {}, admin)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["refund_fen"] == 6000
