"""Python's cyclic garbage collector around the scan's bulk phases.

A scan holds hundreds of thousands of containers (parsed files, resources, the graph) that no
phase frees, and each full collection walks all of them again; a worker forked to evaluate also
copies every page a collection writes an object header into. The phases that make many objects
either pause the collector or set what already exists aside, and always leave it as they found
it."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """The collector off for the block, then as it was."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


@contextmanager
def set_aside() -> Iterator[None]:
    """Every object alive now frozen (gc.freeze) for the block, then unfrozen; a no-op when
    something has already frozen objects (it never unfreezes what it did not freeze)."""
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
