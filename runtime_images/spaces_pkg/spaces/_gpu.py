"""``@spaces.GPU``: run a function while holding a GPU lease from spacehost's broker.

Works on plain functions, generator functions, coroutine functions and async generator
functions; the wrapper is of the same kind and keeps the function's name, docstring and
signature (``functools.wraps``), which Gradio reads to build its API.

A call that runs past its duration is aborted, as on Hugging Face ("GPU task aborted"):
a generator at its next step, a coroutine at its next ``await`` (it is cancelled), and a plain
function by an exception raised in its thread at the next Python instruction (a long C call,
such as one CUDA kernel, finishes first). The broker takes the lease back a few seconds later
in any case, so an over-running call cannot keep others from the GPU.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import functools
import heapq
import inspect
import itertools
import math
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import timedelta
from typing import Any

from spaces import _client
from spaces.config import Config

_warned: set[str] = set()


class GPUTaskAborted(RuntimeError):
    """A ``@spaces.GPU`` call ran past its duration, or could not get a GPU."""


class _Abort(BaseException):
    """Raised inside an over-running call's thread; a BaseException so that the call's own
    ``except Exception`` blocks do not swallow it."""


def log(message: str) -> None:
    """One line in the space's log (its container output)."""
    print(f"spaces: {message}", file=sys.stderr, flush=True)


def _tell_user(message: str) -> None:
    """*message* in the log, and as a Gradio toast when the call serves a Gradio request."""
    log(message)
    gradio = sys.modules.get("gradio")
    if gradio is None:
        return
    try:
        from gradio.context import LocalContext

        if LocalContext.event_id.get(None) is not None:
            gradio.Info(message)
    except Exception:  # a Gradio without these names: the log line is enough
        pass


def _user_error(message: str) -> Exception:
    """An error Gradio shows to the user as it is (``gr.Error``), else a GPUTaskAborted."""
    gradio = sys.modules.get("gradio")
    if gradio is not None and hasattr(gradio, "Error"):
        return gradio.Error(message)  # type: ignore[no-any-return]
    return GPUTaskAborted(message)


def _seconds(value: Any) -> float:
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value)


class _Spec:
    """What a decorated function asks for."""

    def __init__(self, fn: Callable[..., Any], duration: Any) -> None:
        self.fn = fn
        self.name = getattr(fn, "__qualname__", getattr(fn, "__name__", "function"))
        self.duration = duration

    def duration_for(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> float:
        """The duration of one call: a number, a timedelta, or a function of the call's
        arguments returning either (as Hugging Face allows); 0 means the broker's default."""
        value = self.duration
        if callable(value):
            value = value(*args, **kwargs)
        return 0.0 if value is None else _seconds(value)

    def needs_lease(self) -> bool:
        mode = Config.mode
        if mode == "cpu" and self.name not in _warned:
            _warned.add(self.name)
            log(f"no GPU on this host: @spaces.GPU function {self.name} runs on CPU")
        return mode == "shared"

    def on_position(self, position: int) -> None:
        _tell_user(f"Waiting for a GPU: position {position} in the queue ({self.name})")

    def lease(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> _client.Lease:
        try:
            return _client.acquire(Config.socket_path, self.duration_for(args, kwargs),
                                   self.name, connect_timeout=Config.connect_timeout,
                                   on_position=self.on_position)
        except _client.BrokerError as exc:
            raise _user_error(f"No GPU for {self.name}: {exc}") from exc

    async def lease_async(self, args: tuple[Any, ...],
                          kwargs: dict[str, Any]) -> _client.Lease:
        try:
            return await _client.acquire_async(
                Config.socket_path, self.duration_for(args, kwargs), self.name,
                connect_timeout=Config.connect_timeout, on_position=self.on_position)
        except _client.BrokerError as exc:
            raise _user_error(f"No GPU for {self.name}: {exc}") from exc

    def aborted(self, lease: _client.Lease) -> Exception:
        message = (f"GPU task aborted: {self.name} ran past its duration of "
                   f"{lease.duration:g} s (raise it with @spaces.GPU(duration=...))")
        log(message)
        return _user_error(message)

    def granted(self, lease: _client.Lease) -> None:
        if lease.clipped:
            log(f"{self.name} asked for more time than this platform allows: it gets "
                f"{lease.duration:g} s")
        if lease.waited >= 0.5:
            log(f"{self.name} got {_device_name(lease)} after waiting {lease.waited:.1f} s")


def _device_name(lease: _client.Lease) -> str:
    return "a CPU lease" if lease.mode == "cpu" else f"GPU {lease.device}"


@contextlib.contextmanager
def _on_device(lease: _client.Lease) -> Iterator[None]:
    """Point PyTorch (when the app uses it) at the leased GPU and cap its memory there; give
    the cached memory back afterwards so that the next space finds it free. Cooperative: it
    binds PyTorch's allocator in this process, nothing else."""
    torch = sys.modules.get("torch")
    index = int(lease.device) if lease.device.isdigit() else None
    if lease.mode != "gpu" or torch is None or index is None or not _cuda(torch):
        yield
        return
    torch.cuda.set_per_process_memory_fraction(min(lease.memory_fraction, 1.0), index)
    with torch.cuda.device(index):
        try:
            yield
        finally:
            with contextlib.suppress(Exception):
                torch.cuda.synchronize(index)
                torch.cuda.empty_cache()


def _cuda(torch: Any) -> bool:
    try:
        return bool(torch.cuda.is_available())
    except Exception:
        return False


class _Alarms:
    """One daemon thread that fires the watchdogs of all running calls at their deadlines (a
    timer thread per call would cost a thread start, and a wake-up that competes with the call
    for the interpreter, on every call)."""

    IDLE_S = 1.0  # an idle alarm thread wakes this often; a later deadline needs no wake-up
    PURGE_AT = 10_000  # ended watchdogs waiting in the heap before it is rebuilt

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, _Watchdog]] = []
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None
        self._wake_at = math.inf

    def add(self, deadline: float, dog: _Watchdog) -> None:
        with self._cond:
            if len(self._heap) >= self.PURGE_AT:
                self._heap = [item for item in self._heap if not item[2].ended]
                heapq.heapify(self._heap)
            heapq.heappush(self._heap, (deadline, next(self._seq), dog))
            if self._thread is None or not self._thread.is_alive():  # first use, or a fork
                self._thread = threading.Thread(target=self._run, name="spaces-gpu-alarms",
                                                daemon=True)
                self._thread.start()
            elif deadline < self._wake_at:
                self._cond.notify()

    def _run(self) -> None:
        with self._cond:
            while True:
                now = time.monotonic()
                while self._heap and self._heap[0][0] <= now:
                    heapq.heappop(self._heap)[2].fire()
                self._wake_at = self._heap[0][0] if self._heap else now + self.IDLE_S
                self._cond.wait(max(self._wake_at - now, 0.0))


_ALARMS = _Alarms()


class _Watchdog:
    """Raises :class:`_Abort` in the thread running a step of a call once its time is up.

    Only while a step runs (between :meth:`enter` and :meth:`leave`): the exception must land
    in the call's code, never in the caller's. :meth:`leave` clears an exception that was
    scheduled but not yet raised, and :attr:`fired` tells the caller that time ran out.
    """

    def __init__(self, seconds: float) -> None:
        self.deadline = time.monotonic() + max(seconds, 0.0)
        self.fired = False
        self.ended = False
        self._lock = threading.Lock()
        self._thread: int | None = None
        _ALARMS.add(self.deadline, self)

    def enter(self) -> None:
        with self._lock:
            self._thread = threading.get_ident()
        if self.fired:
            raise _Abort

    def leave(self) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
            if self.fired and thread is not None:
                _set_async_exc(thread, None)  # scheduled but not raised yet: drop it

    def cancel(self) -> None:
        with self._lock:
            self.ended = True

    def fire(self) -> None:
        with self._lock:
            if self.ended:
                return
            self.fired = True
            if self._thread is not None:
                _set_async_exc(self._thread, _Abort)


def _set_async_exc(thread: int, exc: type[BaseException] | None) -> None:
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread), ctypes.py_object(exc) if exc is not None else ctypes.c_void_p()
    )


# the four kinds of functions --------------------------------------------------------------


def _wrap_function(spec: _Spec) -> Callable[..., Any]:
    fn = spec.fn

    @functools.wraps(fn)
    def gpu_function(*args: Any, **kwargs: Any) -> Any:
        if not spec.needs_lease():
            return fn(*args, **kwargs)
        lease = spec.lease(args, kwargs)
        try:
            spec.granted(lease)
            dog = _Watchdog(lease.duration)
            try:
                with _on_device(lease):
                    dog.enter()
                    try:
                        result = fn(*args, **kwargs)
                    finally:
                        dog.leave()
            except _Abort:
                raise spec.aborted(lease) from None
            finally:
                dog.cancel()
            if dog.fired:  # it returned as its time ran out: its result comes too late
                raise spec.aborted(lease)
            return result
        finally:
            lease.close()

    return gpu_function


def _wrap_generator(spec: _Spec) -> Callable[..., Any]:
    fn = spec.fn

    @functools.wraps(fn)
    def gpu_generator(*args: Any, **kwargs: Any) -> Iterator[Any]:
        if not spec.needs_lease():
            return (yield from fn(*args, **kwargs))
        lease = spec.lease(args, kwargs)
        gen = None
        dog = None
        try:
            spec.granted(lease)
            dog = _Watchdog(lease.duration)
            with _on_device(lease):
                gen = fn(*args, **kwargs)
                sent = None
                while True:
                    try:
                        dog.enter()
                        try:
                            item = gen.send(sent)
                        finally:
                            dog.leave()
                    except StopIteration as stop:
                        return stop.value
                    except _Abort:
                        raise spec.aborted(lease) from None
                    if dog.fired:
                        raise spec.aborted(lease)
                    sent = yield item
        finally:
            if dog is not None:
                dog.cancel()
            if gen is not None:
                gen.close()
            lease.close()

    return gpu_generator


def _wrap_coroutine(spec: _Spec) -> Callable[..., Any]:
    fn = spec.fn

    @functools.wraps(fn)
    async def gpu_coroutine(*args: Any, **kwargs: Any) -> Any:
        if not spec.needs_lease():
            return await fn(*args, **kwargs)
        lease = await spec.lease_async(args, kwargs)
        try:
            spec.granted(lease)
            with _on_device(lease):
                return await _within(fn(*args, **kwargs), lease.duration, spec, lease)
        finally:
            lease.close()

    return gpu_coroutine


def _wrap_async_generator(spec: _Spec) -> Callable[..., Any]:
    fn = spec.fn

    @functools.wraps(fn)
    async def gpu_async_generator(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        if not spec.needs_lease():
            async for item in fn(*args, **kwargs):
                yield item
            return
        lease = await spec.lease_async(args, kwargs)
        agen = None
        try:
            spec.granted(lease)
            deadline = time.monotonic() + lease.duration
            with _on_device(lease):
                agen = fn(*args, **kwargs)
                while True:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise spec.aborted(lease)
                    try:
                        item = await _within(agen.__anext__(), left, spec, lease)
                    except StopAsyncIteration:
                        return
                    yield item
        finally:
            if agen is not None:
                await agen.aclose()
            lease.close()

    return gpu_async_generator


async def _within(awaitable: Any, seconds: float, spec: _Spec, lease: _client.Lease) -> Any:
    """Await *awaitable*; cancel it and raise the abort error after *seconds*."""
    task = asyncio.ensure_future(awaitable)
    done, _ = await asyncio.wait({task}, timeout=max(seconds, 0.0))
    if task in done:
        return task.result()
    task.cancel()
    with contextlib.suppress(BaseException):
        await task
    raise spec.aborted(lease)


def GPU(task: Callable[..., Any] | None = None, *, duration: Any = None, size: str | None = None,
        **kwargs: Any) -> Any:  # noqa: N802 (Hugging Face's name)
    """Hold a GPU lease while the decorated function runs (Hugging Face's ``@spaces.GPU``).

    Use as ``@spaces.GPU``, ``@spaces.GPU()`` or ``@spaces.GPU(duration=120)``.

    Args:
        task: the function (when used without parentheses).
        duration: the longest the call may run, in seconds (a number or a ``timedelta``, or a
            function of the call's arguments returning one); default: the platform's (60 s).
            The platform clips it to its maximum.
        size: Hugging Face's GPU size (``"large"``, ``"xlarge"``); accepted, not used.
        kwargs: older Hugging Face options (``enable_queue``); accepted, not used.

    Returns:
        The wrapped function, of the same kind (plain, generator, coroutine, async generator)
        with the same name, docstring and signature; or a decorator, without *task*.
    """
    del size, kwargs
    if task is None:
        return functools.partial(GPU, duration=duration)
    if not callable(task):
        raise TypeError(f"@spaces.GPU decorates a function, not {type(task).__name__}")
    spec = _Spec(task, duration)
    if inspect.isasyncgenfunction(task):
        return _wrap_async_generator(spec)
    if inspect.iscoroutinefunction(task):
        return _wrap_coroutine(spec)
    if inspect.isgeneratorfunction(task):
        return _wrap_generator(spec)
    return _wrap_function(spec)
