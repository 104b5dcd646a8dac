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
    global _aside
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    _aside = True
    try:
        yield
    finally:
        _aside = False
        gc.unfreeze()


_aside = False  # inside a set_aside() block that froze objects (and will put them back)


def keep(collect: bool) -> None:
    """Inside a set_aside() block that froze objects, set aside every object alive now as
    well: what a phase leaves for the later ones, which only read it (parsed files, resources,
    the graph, findings), is walked by no collection again. collect: one collection first, of
    what is not set aside (what the phase made), so that none of its garbage cycles are kept;
    for a phase that makes cycles. Put back when the block ends. Elsewhere a no-op (objects
    someone else froze are theirs: nothing joins them)."""
    if _aside:
        if collect and gc.isenabled():
            gc.collect()
        gc.freeze()
