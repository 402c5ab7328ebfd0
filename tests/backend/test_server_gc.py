"""The server's collector settings: what start-up built is frozen, young collections are rarer."""

from __future__ import annotations

import gc

from backend.server_gc import YOUNG_THRESHOLD, settle_collections


def test_settling_freezes_what_start_up_built_and_collects_the_young_less_often():
    before = gc.get_threshold()
    try:
        settle_collections()
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == (YOUNG_THRESHOLD, before[1], before[2])
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
