"""Backends: where the batches of a sweep run (serial, a process pool, or Ray).

A backend takes a picklable module-level function and a list of payloads (plain
data: dicts, lists, strings, numbers) and yields ``(index, result)`` pairs *as
they complete*, so the runner can commit each finished cell at once. All three
backends call the same function on the same payloads; since each cell's seed
comes from its id, results do not depend on the backend or the worker count.

=============  =================================================================
name           what it does
=============  =================================================================
``serial``     runs every payload in this process, in order
``process``    a pool of ``workers`` processes (default: all cores), forked
               when safe (else spawned), at most ``workers`` payloads in flight
``ray``        Ray tasks (``num_cpus=1``) on a local Ray started for the run, or
               on the cluster at ``address``; an optional extra:
               ``pip install "boltzmann-rl[ray]"``
=============  =================================================================

Examples
--------
>>> from boltzmann_rl.sweep.backends import make_backend
>>> backend = make_backend("serial")
>>> sorted(backend.run(abs, [-1, -2]))
[(0, 1), (1, 2)]
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from boltzmann_rl._checks import positive_int
from boltzmann_rl._optional import MissingExtra, extra_hint, import_optional

__all__ = [
    "BACKENDS",
    "ProcessBackend",
    "RayBackend",
    "RayNotInstalled",
    "SerialBackend",
    "make_backend",
]

Started = Callable[[int], None] | None

RAY_HINT = extra_hint("ray")


class RayNotInstalled(MissingExtra):
    """The ``ray`` backend was asked for but Ray is not installed.

    Examples
    --------
    >>> from boltzmann_rl.sweep.backends import RayNotInstalled
    >>> issubclass(RayNotInstalled, ImportError)
    True
    """


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


def _check_workers(workers: int | None) -> int | None:
    if workers is None:
        return None
    return positive_int(workers, "workers")


class SerialBackend:
    """Run every payload in this process, in order.

    Examples
    --------
    >>> from boltzmann_rl.sweep.backends import SerialBackend
    >>> list(SerialBackend().run(str, [1, 2]))
    [(0, '1'), (1, '2')]
    """

    name = "serial"

    def __init__(self, workers: int | None = None) -> None:
        _check_workers(workers)
        self.workers = 1

    def check(self) -> None:
        """Nothing to check: the serial backend is always available."""

    def parallelism(self) -> int:
        """How many batches run at once: 1."""
        return 1

    def run(
        self, fn: Callable[[Any], Any], payloads: Sequence[Any], on_start: Started = None
    ) -> Iterator[tuple[int, Any]]:
        """Yield ``(index, fn(payload))`` for each payload, in order."""
        for i, payload in enumerate(payloads):
            if on_start is not None:
                on_start(i)
            yield i, fn(payload)


def _worker_init(parent: int) -> None:
    """Set up a pool worker: ignore Ctrl-C and SIGTERM, and exit if the parent dies.

    Ctrl-C reaches the whole process group, and so does SIGTERM from a batch scheduler:
    the parent handles it and stops the pool (killing the workers; a forked worker
    would otherwise inherit the parent's SIGTERM handler).
    If the parent is killed (``kill -9``), a worker would otherwise finish its batch
    for nobody; a watchdog thread ends it as soon as its parent is gone.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):  # forked while the parent held them
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _HELD)

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


_HELD = {signal.SIGINT, signal.SIGTERM}


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM while the pool forks a worker (inside ``submit``).

    A handler that raises inside a fork hook (logging releases its lock there) has its
    exception "ignored" and the signal is lost: the run would go on. Held, the signal
    is delivered as soon as the fork is done, in the run's own code.
    """
    if not hasattr(signal, "pthread_sigmask") or (
        threading.current_thread() is not threading.main_thread()
    ):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _mp_context() -> Any:
    """``fork`` where it is safe and available (no other thread runs), else ``spawn``.

    A forked worker starts in milliseconds with every module already imported; a
    spawned one starts a new interpreter and imports numpy and the engines again
    (about half a second). Forking a process that runs other threads can deadlock
    the child, so then, and wherever ``fork`` does not exist, workers are spawned.
    """
    if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


class ProcessBackend:
    """A pool of worker processes, one payload per worker at a time.

    Parameters
    ----------
    workers : int, optional
        Number of processes; default: the CPUs this process may use.

    Examples
    --------
    >>> from boltzmann_rl.sweep.backends import ProcessBackend
    >>> ProcessBackend(workers=2).workers
    2
    """

    name = "process"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = _check_workers(workers) or _cpu_count()

    def check(self) -> None:
        """Nothing to check: the standard library provides process pools."""

    def parallelism(self) -> int:
        """How many batches run at once: ``workers``."""
        return self.workers

    def run(
        self, fn: Callable[[Any], Any], payloads: Sequence[Any], on_start: Started = None
    ) -> Iterator[tuple[int, Any]]:
        """Yield ``(index, fn(payload))`` as the workers finish them.

        At most ``workers`` payloads are in flight, so the ones reported as started
        are the ones running. If the consumer stops early (an exception, Ctrl-C, a
        ``break``), pending payloads are cancelled and the workers are terminated.
        """
        if not payloads:
            return
        n = min(self.workers, len(payloads))
        ctx = _mp_context()
        pool = cf.ProcessPoolExecutor(
            max_workers=n, mp_context=ctx, initializer=_worker_init, initargs=(os.getpid(),)
        )
        pending: dict[cf.Future[Any], int] = {}
        queue = iter(range(len(payloads)))
        clean = False

        def submit() -> None:
            i = next(queue, None)
            if i is not None:
                with _signals_held():
                    future = pool.submit(fn, payloads[i])
                pending[future] = i
                if on_start is not None:
                    on_start(i)

        try:
            for _ in range(n):
                submit()
            while pending:
                done, _ = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
                for fut in sorted(done, key=pending.__getitem__):
                    i = pending.pop(fut)
                    yield i, fut.result()
                    submit()  # after the consumer has taken (and committed) the result
            clean = True
        finally:
            if clean:
                pool.shutdown(wait=True)
            else:
                for fut in pending:
                    fut.cancel()
                processes = list(getattr(pool, "_processes", {}).values())
                pool.shutdown(wait=False, cancel_futures=True)
                for p in processes:
                    if p.is_alive():
                        p.kill()  # workers ignore SIGTERM
                for p in processes:
                    p.join(timeout=5)


def _import_ray() -> Any:
    return import_optional(
        "ray",
        "ray",
        "the ray backend",
        alternative="use --backend process",
        error=RayNotInstalled,
    )


class RayBackend:
    """Ray tasks on a local Ray started for the run, or on the cluster at ``address``.

    Parameters
    ----------
    workers : int, optional
        At most this many tasks in flight; default: the cluster's CPU count.
    address : str, optional
        A Ray cluster address (``ray://host:10001`` or ``host:6379``, or ``"auto"``).
        Without it a local Ray is started (and shut down after the run); if Ray is
        already initialised in this process, that session is used.

    Notes
    -----
    ``import ray`` happens in :meth:`check` and :meth:`run`, never at import time.
    Each payload runs as one task with ``num_cpus=1``; results are gathered with
    ``ray.wait`` as they complete. On a cluster, every node needs ``boltzmann_rl``
    installed (the task function is referenced by module name).

    Examples
    --------
    >>> from boltzmann_rl.sweep.backends import RayBackend
    >>> RayBackend(address="auto").address
    'auto'
    """

    name = "ray"

    def __init__(self, workers: int | None = None, address: str | None = None) -> None:
        self.workers = _check_workers(workers)
        if address is not None and (not isinstance(address, str) or not address.strip()):
            raise ValueError(f"ray address must be a non-empty string, got {address!r}")
        self.address = address
        self._started = False

    def check(self) -> None:
        """Raise :class:`RayNotInstalled` (with the pip command) if Ray is missing."""
        _import_ray()

    def _ensure(self) -> Any:
        """Import Ray and connect (or start a local Ray) unless a session exists."""
        ray = _import_ray()
        if not ray.is_initialized():
            kwargs: dict[str, Any] = {"log_to_driver": False}
            if self.address is not None:
                kwargs["address"] = self.address
            elif self.workers is not None:
                kwargs["num_cpus"] = self.workers
            ray.init(**kwargs)
            self._started = True
        return ray

    def parallelism(self) -> int:
        """``workers``, or the CPUs of the cluster (connecting to it first)."""
        if self.workers is not None:
            return self.workers
        ray = self._ensure()
        return max(1, int(ray.cluster_resources().get("CPU", 1)))

    def run(
        self, fn: Callable[[Any], Any], payloads: Sequence[Any], on_start: Started = None
    ) -> Iterator[tuple[int, Any]]:
        """Yield ``(index, fn(payload))`` as the Ray tasks finish.

        At most :meth:`parallelism` tasks are in flight. A Ray this backend started
        (locally or by connecting) is shut down at the end; a session that was
        already initialised in this process is left running.
        """
        if not payloads:
            return
        ray = self._ensure()
        pending: dict[Any, int] = {}
        try:
            remote = ray.remote(num_cpus=1)(fn)
            window = self.parallelism()
            queue = iter(range(len(payloads)))

            def submit() -> None:
                i = next(queue, None)
                if i is not None:
                    pending[remote.remote(payloads[i])] = i
                    if on_start is not None:
                        on_start(i)

            for _ in range(min(window, len(payloads))):
                submit()
            while pending:
                done, _ = ray.wait(list(pending), num_returns=1)
                for ref in done:
                    i = pending.pop(ref)
                    yield i, ray.get(ref)
                    submit()
        finally:
            for ref in pending:
                try:
                    ray.cancel(ref, force=True)
                except Exception:  # best effort on the way out
                    pass
            if self._started:
                ray.shutdown()
                self._started = False


BACKENDS = ("serial", "process", "ray")
"""The backend names accepted by :func:`make_backend` and ``--backend``."""


def make_backend(
    name: str = "process", workers: int | None = None, address: str | None = None
) -> SerialBackend | ProcessBackend | RayBackend:
    """Build a backend by name.

    Parameters
    ----------
    name : {"serial", "process", "ray"}, default "process"
    workers : int, optional
        Worker processes (``process``) or tasks in flight (``ray``).
    address : str, optional
        Ray cluster address (``ray`` only).

    Returns
    -------
    SerialBackend, ProcessBackend or RayBackend

    Raises
    ------
    ValueError
        For an unknown name, a bad worker count, or an address without ``ray``.

    Examples
    --------
    >>> from boltzmann_rl.sweep.backends import make_backend
    >>> make_backend("process", workers=3).workers
    3
    >>> make_backend("threads")
    Traceback (most recent call last):
    ...
    ValueError: unknown backend 'threads'; allowed: serial, process, ray
    """
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}; allowed: {', '.join(BACKENDS)}")
    if address is not None and name != "ray":
        raise ValueError(f"--ray-address is only used with --backend ray, not {name!r}")
    if name == "serial":
        return SerialBackend(workers)
    if name == "process":
        return ProcessBackend(workers)
    return RayBackend(workers, address)
