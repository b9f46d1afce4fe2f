"""Run a long batch's inputs in worker processes, one a core, and hand the results back in order.

Standard library only. Scoring is pure and each input is scored alone, so a long batch
(:data:`PARALLEL_AFTER` inputs or more) spreads over the cores the process may use: the
workers are forked once the questionnaire is loaded and compiled, so they start with it, and
each turns a chunk of inputs into finished records (the text its format writes, and the
messages for standard error). The parent writes them in input order as they come back.

Memory stays flat: at most :data:`WINDOW` chunks a worker are in flight, however long the
batch. A worker ignores Ctrl-C; the parent takes it and stops the workers, so an interrupted
batch ends as a serial one does. Forking is used only on Linux and only while this process
runs no other thread (a fork beside a running thread can deadlock the child); anywhere else
the batch runs in this process, with the same output.
"""

from __future__ import annotations

import collections
import itertools
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar, cast

__all__ = ["CHUNK", "PARALLEL_AFTER", "WINDOW", "in_order", "usable_cores"]

Item = TypeVar("Item")
Done = TypeVar("Done")

#: A batch of fewer inputs runs in this process: starting workers would cost more than
#: they save (about 5 ms each, against about 1 ms an input).
PARALLEL_AFTER = 100
#: Inputs sent to a worker at once.
CHUNK = 16
#: Chunks in flight a worker, at most (so at most ``CHUNK * WINDOW`` inputs a worker are
#: held, read or scored, at one time).
WINDOW = 4
#: The lookahead stops early once the inputs it holds carry this much text (JSON Lines).
LOOKAHEAD_BYTES = 4 * 1024 * 1024

#: The work of one input, set in the parent before the workers are forked (so they inherit
#: it, the loaded questionnaire with it, and nothing is pickled but inputs and results).
_WORK: dict[str, Callable[[object], object]] = {}


def usable_cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _can_fork() -> bool:
    # Linux forks cheaply and safely; macOS's system libraries do not promise it, and a fork
    # beside a running thread (a test runner's, a progress bar's) can deadlock the child.
    return sys.platform.startswith("linux") and threading.active_count() == 1


def in_order(
    items: Iterable[Item],
    work: Callable[[Item], Done],
    *,
    jobs: int | None = None,
    size: Callable[[Item], int] = lambda _item: 0,
) -> Iterator[Done]:
    """``work`` applied to each item, yielded in the items' order.

    Args:
        items: read as they are needed (a lookahead of :data:`PARALLEL_AFTER` decides).
        work: a pure function of one item whose result can be pickled.
        jobs: worker processes; 1 runs every item here; None uses every usable core for a
            batch of :data:`PARALLEL_AFTER` items or more.
        size: how many bytes an item holds (to bound the lookahead's memory).
    """
    stream = iter(items)
    wanted = usable_cores() if jobs is None else jobs
    if wanted <= 1 or not _can_fork():
        yield from map(work, stream)
        return
    head: list[Item] = []
    held = 0
    if jobs is None:
        # Only a long batch is worth the workers: look ahead to see whether this one is.
        for item in stream:
            head.append(item)
            held += size(item)
            if len(head) >= PARALLEL_AFTER or held >= LOOKAHEAD_BYTES:
                break
        else:
            yield from map(work, head)
            return
    yield from _parallel(itertools.chain(head, stream), work, wanted)


def _parallel(items: Iterator[Item], work: Callable[[Item], Done], workers: int) -> Iterator[Done]:
    import multiprocessing
    import multiprocessing.pool

    _WORK["work"] = cast(Callable[[object], object], work)  # inherited by the forked workers
    # A buffered line left in a standard stream would be written again by every worker as
    # it exits: flush them before the fork.
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            stream.flush()
    context = multiprocessing.get_context("fork")
    pending: collections.deque[multiprocessing.pool.AsyncResult[list[Done]]] = collections.deque()
    try:
        with context.Pool(workers, initializer=_in_worker) as pool:
            while chunk := list(itertools.islice(items, CHUNK)):
                pending.append(pool.apply_async(_run_chunk, (chunk,)))
                if len(pending) >= workers * WINDOW:
                    yield from pending.popleft().get()
            while pending:
                yield from pending.popleft().get()
    finally:
        _WORK.clear()


def _in_worker() -> None:
    # Ctrl-C reaches every process of the terminal's group: the parent stops the workers,
    # with the default SIGTERM (not a handler the parent may have set).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _run_chunk(chunk: list[Item]) -> list[Done]:
    work = cast(Callable[[Item], Done], _WORK["work"])  # set before the fork
    return [work(item) for item in chunk]
