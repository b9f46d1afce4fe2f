"""Run a long batch's inputs in worker processes, one a core, and hand the results back in order.

Standard library only. Scoring is pure and each input is scored alone, so a long batch
(:data:`PARALLEL_AFTER` inputs or more) spreads over the cores the process may use. The workers
are forked once the questionnaire is loaded and its rules compiled, so each starts with them;
each reads chunks of inputs from a pipe of its own and writes back, down another, the finished
records of each chunk (the text its format writes, the messages for standard error). Chunks go
to the workers in turn and their results are read back in the same turn, so the records come
out in input order.

Memory stays flat: at most :data:`WINDOW` chunks a worker are in flight, however long the
batch, and this process waits on the pipes with ``select``, writing inputs and reading results
as each is ready, so neither side ever waits on the other with both pipes full. A worker ignores
Ctrl-C; this process takes it, kills the workers and collects them, so an interrupted batch ends
as a one-process batch does, with no process left behind. Nothing is shared but the pipes: a
worker that dies is an error here, never a hang.

Forking is used only on Linux and only while this process runs no other thread (a fork beside a
running thread can deadlock the child); anywhere else the batch runs in this process, with the
same output.
"""

from __future__ import annotations

import collections
import contextlib
import gc
import itertools
import os
import pickle
import selectors
import signal
import struct
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Generic, NoReturn, TypeVar

__all__ = ["CHUNK", "PARALLEL_AFTER", "WINDOW", "WorkerError", "in_order", "usable_cores"]

Item = TypeVar("Item")
Done = TypeVar("Done")

#: A batch of fewer inputs runs in this process: starting workers would cost more than
#: they save (a few milliseconds each, against about a millisecond an input).
PARALLEL_AFTER = 100
#: Inputs sent to a worker at once.
CHUNK = 16
#: Chunks in flight a worker, at most (so at most ``CHUNK * WINDOW`` inputs a worker are
#: held, read or scored, at one time).
WINDOW = 4
#: The lookahead stops early once the inputs it holds carry this much text (JSON Lines).
LOOKAHEAD_BYTES = 4 * 1024 * 1024

#: A frame on a pipe: its length, then a pickle of a list (a chunk of inputs, or its results).
#: Pickle crosses only the anonymous pipes between this process and the workers it forked:
#: nothing a user gives is ever unpickled (inputs are read as YAML or JSON, in the worker).
_HEADER = struct.Struct("!Q")
_READ = 1024 * 1024


class WorkerError(RuntimeError):
    """A worker process failed: it died, or the work raised (its message says which)."""


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
        work: a function of one item whose result can be pickled; it must not write to the
            standard streams (a worker's are this process's).
        jobs: worker processes; 1 runs every item here; None uses every usable core for a
            batch of :data:`PARALLEL_AFTER` items or more.
        size: how many bytes an item holds (to bound the lookahead's memory).

    Raises:
        WorkerError: a worker died, or ``work`` raised in one.
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


class _Worker(Generic[Done]):
    """A forked worker: its process, the pipe its chunks go down and the one results come up."""

    def __init__(self, pid: int, tasks: int, results: int) -> None:
        self.pid = pid
        self.tasks = tasks
        self.results = results
        #: Bytes still to write down ``tasks``.
        self.outgoing = bytearray()
        #: Bytes read from ``results`` that do not yet make a whole frame.
        self.incoming = bytearray()
        #: Whole results read, oldest first.
        self.done: collections.deque[list[Done]] = collections.deque()
        self.finished = False


def _parallel(items: Iterator[Item], work: Callable[[Item], Done], count: int) -> Iterator[Done]:
    # A buffered line left in a standard stream would be written again by a worker: flush them.
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            stream.flush()
    workers: list[_Worker[Done]] = []
    try:
        for _ in range(count):
            workers.append(_fork(work, workers))
        yield from _exchange(items, workers)
    finally:
        _stop(workers)


def _fork(work: Callable[[Item], Done], siblings: list[_Worker[Done]]) -> _Worker[Done]:
    tasks_read, tasks_write = os.pipe()
    results_read, results_write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the worker (its behaviour is tested through the parent)
        code = 1
        try:
            os.close(tasks_write)
            os.close(results_read)
            # The pipes of the workers forked before this one are theirs alone: holding their
            # ends open here would keep them from ever seeing the end of their input.
            for sibling in siblings:
                os.close(sibling.tasks)
                os.close(sibling.results)
            code = _serve(work, tasks_read, results_write)
        finally:
            os._exit(code)
    os.close(tasks_read)
    os.close(results_write)
    os.set_blocking(tasks_write, False)
    os.set_blocking(results_read, False)
    return _Worker(pid, tasks_write, results_read)


def _serve(work: Callable[[Item], Done], tasks: int, results: int) -> int:  # pragma: no cover
    """A worker's loop: read a chunk, work it, write its results back; 0 at the end of input."""
    # Ctrl-C reaches every process of the terminal's group: the parent stops the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # What was made before the fork is kept for good: the collector never walks it (and so never
    # writes to, and copies, the pages this process shares with its parent).
    gc.freeze()
    with os.fdopen(tasks, "rb") as source, os.fdopen(results, "wb") as sink:
        while True:
            header = source.read(_HEADER.size)
            if len(header) < _HEADER.size:
                return 0
            (length,) = _HEADER.unpack(header)
            # The pipe is this process's parent's alone (made before the fork, no name).
            chunk = pickle.loads(source.read(length))  # noqa: S301
            try:
                reply: tuple[bool, object] = (True, [work(item) for item in chunk])
            except BaseException as error:
                reply = (False, f"{type(error).__name__}: {error}")
            frame = pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL)
            sink.write(_HEADER.pack(len(frame)) + frame)
            sink.flush()


def _exchange(items: Iterator[Item], workers: list[_Worker[Done]]) -> Iterator[Done]:
    """Send chunks to the workers in turn and yield their results in the same turn."""
    selector = selectors.DefaultSelector()
    order: collections.deque[_Worker[Done]] = collections.deque()
    turn = itertools.cycle(workers)
    more = True
    with selector:
        while more or order:
            while more and len(order) < len(workers) * WINDOW:
                chunk = list(itertools.islice(items, CHUNK))
                if not chunk:
                    more = False
                    break
                worker = next(turn)
                frame = pickle.dumps(chunk, protocol=pickle.HIGHEST_PROTOCOL)
                worker.outgoing += _HEADER.pack(len(frame)) + frame
                order.append(worker)
            if order and order[0].done:
                yield from order.popleft().done.popleft()
                continue
            if order:
                _wait(selector, workers, order)
        for worker in workers:
            # The end of its input: it exits (and is collected by _stop).
            os.close(worker.tasks)
            worker.tasks = -1
            worker.finished = True


def _wait(
    selector: selectors.BaseSelector,
    workers: list[_Worker[Done]],
    order: collections.deque[_Worker[Done]],
) -> None:
    """Write what the workers can take and read what they have written, once ready."""
    waiting = set(order)
    for worker in workers:
        if worker.outgoing:
            selector.register(worker.tasks, selectors.EVENT_WRITE, worker)
        if worker in waiting:
            selector.register(worker.results, selectors.EVENT_READ, worker)
    try:
        ready = selector.select()
    finally:
        for key in list(selector.get_map().values()):
            selector.unregister(key.fileobj)
    for key, mask in ready:
        worker = key.data
        if mask & selectors.EVENT_WRITE:
            try:
                written = os.write(worker.tasks, worker.outgoing[:_READ])
            except BrokenPipeError:
                _died(worker)
            del worker.outgoing[:written]
        if mask & selectors.EVENT_READ:
            _read(worker)


def _read(worker: _Worker[Done]) -> None:
    data = os.read(worker.results, _READ)
    if not data:
        _died(worker)
    worker.incoming += data
    while len(worker.incoming) >= _HEADER.size:
        (length,) = _HEADER.unpack_from(worker.incoming)
        end = _HEADER.size + length
        if len(worker.incoming) < end:
            return
        # The pipe is this process's own child's alone (made before the fork, no name).
        ok, value = pickle.loads(worker.incoming[_HEADER.size : end])  # noqa: S301
        del worker.incoming[:end]
        if not ok:
            raise WorkerError(f"a worker process failed: {value}")
        worker.done.append(value)


def _died(worker: _Worker[Done]) -> NoReturn:
    """A worker closed its end early: it died. Say how, once it is collected."""
    _, status = os.waitpid(worker.pid, 0)
    worker.finished = True
    raise WorkerError(f"a worker process stopped before its work was done ({_how(status)})")


def _how(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"killed by signal {os.WTERMSIG(status)}"
    return f"exit status {os.waitstatus_to_exitcode(status)}"


def _stop(workers: list[_Worker[Done]]) -> None:
    """Stop and collect every worker: one still at work is killed (an interrupted batch)."""
    for worker in workers:
        if not worker.finished:
            with contextlib.suppress(ProcessLookupError):
                os.kill(worker.pid, signal.SIGKILL)
        for fd in (worker.tasks, worker.results):
            with contextlib.suppress(OSError):
                os.close(fd)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(worker.pid, 0)
