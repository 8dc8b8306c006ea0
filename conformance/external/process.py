"""The external program, bounded: the one place where the checker touches another process.

Purpose: ``Program`` runs the user's command as ``/bin/sh -c COMMAND`` in a process group (a
session) of its own, writes one scenario per line to its stdin (``send``) and reads one answer
line per scenario from its stdout (``receive``, in order; ``ask`` is both), so several scenarios
may be on their way at once. Every write and every read has a deadline (``poll`` on the raw file
descriptors, never a blocking ``readline``; the first answer gets ``STARTUP`` seconds more, for
the program to start); while writing, it reads the answers that come, so neither side can block
the other on a full pipe. A thread drains the program's stderr all along, keeping a bounded tail,
so a chatty program never blocks on a full stderr pipe and a failing one can be explained.

Promises:
- ``receive`` returns the answer to the oldest scenario sent and not answered, as a JSON object
  carrying that scenario's ``id``, or raises ``ProgramFailed`` whose one-line ``what`` says what
  the program did: exited (and how), closed its input, stalled (with or without a partial line),
  wrote bytes that are not UTF-8, something that is not JSON, non-standard JSON (NaN, Infinity),
  JSON nested too deeply, an integer too long to read, a line too long, a value that is not an
  object, an answer with another id, a second answer to one scenario, or a line nobody asked
  for. Never a traceback, never a hang.
- After a failure the program is stopped at once and every later ``send`` or ``receive`` raises
  the same failure: a late answer is never read as the answer to another scenario.
- ``close`` (also reached through ``with``) closes stdin, gives the program ``GRACE`` seconds to
  exit, then sends SIGTERM and finally SIGKILL to the whole process group, so neither the shell,
  the real program, nor any child it forked stays behind, and waits (where /proc shows it) until
  none of them is alive; a program that leaves the group with ``setsid`` is beyond reach. The
  group is signalled while its leader is still unreaped, so its id cannot have been reused.
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import select
import signal
import subprocess
import threading
import time
from types import TracebackType
from typing import Any

JSON = Any

#: Longest answer line read (bytes); a longer one is a protocol error, not a memory hazard.
MAX_LINE = 16 * 1024 * 1024
#: Bytes of stderr kept (its tail is shown when the program fails).
STDERR_TAIL = 4096
#: Seconds a program gets to exit by itself once its stdin is closed, then after SIGTERM.
GRACE = 1.0
#: Seconds the first answer may take on top of the timeout: the program is starting.
STARTUP = 10.0


class ProgramFailed(RuntimeError):
    """The external program broke the protocol or died; ``what`` says how, ``stderr`` ends its stderr."""

    def __init__(self, what: str, stderr: str = "") -> None:
        super().__init__(what)
        self.what = what
        self.stderr = stderr


def _preview(raw: bytes) -> str:
    return repr(raw[:120]) + ("..." if len(raw) > 120 else "")


def _refuse_constant(name: str) -> JSON:
    raise ValueError(f"non-standard JSON ({name})")


def decode_answer(raw: bytes) -> JSON:
    """The JSON value of one answer line, or ``ProgramFailed`` (without stderr) saying what is wrong."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProgramFailed(
            f"answered bytes that are not UTF-8 (byte {raw[exc.start]:#04x} at offset {exc.start}): {_preview(raw)}"
        ) from None
    if not text.strip():
        raise ProgramFailed("answered an empty line")
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise ProgramFailed(f"answered JSON nested too deeply to read: {_preview(raw)}") from None
    except json.JSONDecodeError as exc:
        raise ProgramFailed(f"answered something that is not JSON ({exc.msg}): {_preview(raw)}") from None
    except ValueError as exc:  # NaN / Infinity, or an integer beyond int_max_str_digits
        reason = "an integer too long to read" if "digits" in str(exc) else str(exc)
        raise ProgramFailed(f"answered {reason}: {_preview(raw)}") from None


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _status(code: int) -> str:
    """What an exit status says (the shell reports a command killed by signal N as 128 + N)."""
    if code < 0:
        return f"was killed by {_signal_name(-code)}"
    if 128 < code < 128 + signal.NSIG:
        return f"exited with status {code} (a command killed by {_signal_name(code - 128)})"
    return f"exited with status {code}"


def _live_members(pgid: int) -> bool:
    """Whether a process of group ``pgid`` is still alive (not a zombie), as /proc tells."""
    try:
        entries = os.listdir("/proc")
    except OSError:
        return False
    for entry in entries:
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as stat:
                    fields = stat.read().rsplit(b")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if len(fields) > 2 and fields[2] == str(pgid).encode() and fields[0] != b"Z":
                return True
    return False


def _await_death(pgid: int, deadline: float) -> None:
    """Wait (until ``deadline``) for the SIGKILLed members of group ``pgid`` to be dead; where there
    is no /proc, the signal alone has to do."""
    while _live_members(pgid) and time.monotonic() < deadline:
        time.sleep(0.005)


class Program:
    """One running external program speaking a line protocol on stdin/stdout."""

    def __init__(self, command: str, *, timeout: float = 20.0) -> None:
        self.command = command
        self.timeout = timeout
        self.asked = 0
        self._waiting: collections.deque[JSON] = collections.deque()
        self._answered = 0
        self._last_id: str | None = None
        self._failure: ProgramFailed | None = None
        self._closed = False
        self._buffer = bytearray()
        self._tail = bytearray()
        self._tail_lock = threading.Lock()
        self._proc = subprocess.Popen(
            command,
            shell=True,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            bufsize=0,
        )
        assert self._proc.stdin is not None and self._proc.stdout is not None and self._proc.stderr is not None
        self._stdin = self._proc.stdin.fileno()
        self._stdout = self._proc.stdout.fileno()
        os.set_blocking(self._stdin, False)
        self._out_poll = select.poll()
        self._out_poll.register(self._stdout, select.POLLIN)
        self._both_poll = select.poll()
        self._both_poll.register(self._stdin, select.POLLOUT)
        self._both_poll.register(self._stdout, select.POLLIN)
        self._pidfd: int | None = None
        with contextlib.suppress(OSError, AttributeError):  # not Linux, or an old kernel: poll instead
            self._pidfd = os.pidfd_open(self._proc.pid)
        self._drainer = threading.Thread(target=self._drain, args=(self._proc.stderr.fileno(),), daemon=True)
        self._drainer.start()

    @property
    def pgid(self) -> int:
        """The process group of the program (the shell's pid)."""
        return self._proc.pid

    # -- the protocol -------------------------------------------------------------------------

    def ask(self, scenario: dict[str, JSON]) -> dict[str, JSON]:
        """The program's answer to ``scenario`` (which carries its ``id``): ``send``, then ``receive``."""
        self.send(scenario)
        return self.receive()

    def send(self, scenario: dict[str, JSON]) -> None:
        """Write ``scenario`` (which carries its ``id``) as one line, without waiting for its answer;
        answers to earlier scenarios arriving meanwhile are kept for ``receive``."""
        if self._failure is not None:
            raise self._failure
        try:
            if not self._waiting:
                self._nothing_unasked()
            self.asked += 1
            allowed = self.timeout + (STARTUP if self.asked == 1 else 0.0)
            self._write((json.dumps(scenario) + "\n").encode(), time.monotonic() + allowed, allowed)
        except ProgramFailed as exc:
            raise self._fail(exc.what) from None
        self._waiting.append(scenario.get("id"))

    def receive(self) -> dict[str, JSON]:
        """The answer to the oldest scenario sent and not answered yet."""
        if self._failure is not None:
            raise self._failure
        if not self._waiting:
            raise ValueError("receive() without a scenario sent")
        ident = json.dumps(self._waiting[0])
        allowed = self.timeout + (STARTUP if self._answered == 0 else 0.0)
        try:
            answer = decode_answer(self._read_line(time.monotonic() + allowed, allowed))
            if not isinstance(answer, dict):
                raise ProgramFailed(f"answered {type(answer).__name__} {json.dumps(answer)[:120]}, not a JSON object")
            got = json.dumps(answer["id"]) if "id" in answer else None
            if got is not None and got == self._last_id and got != ident:
                raise ProgramFailed(f"answered the scenario with id {got[:60]} twice")
            if got != ident:
                raise ProgramFailed(f"answered {'no id' if got is None else got[:60]} to the scenario with id {ident}")
        except ProgramFailed as exc:
            raise self._fail(exc.what) from None
        self._waiting.popleft()
        self._answered += 1
        self._last_id = ident
        return answer

    @property
    def unread_answers(self) -> int:
        """Whole lines the program wrote that ``receive`` has not taken yet: after a failure, how
        many of the scenarios waiting it had answered before it broke."""
        return self._buffer.count(b"\n")

    @property
    def waiting(self) -> int:
        """How many scenarios were sent and not answered yet."""
        return len(self._waiting)

    def _nothing_unasked(self) -> None:
        """With no answer due, nothing may be waiting on stdout (a second answer, say)."""
        if not self._buffer and self._readable(0.0):
            self._read_some()
        if self._buffer:
            raise ProgramFailed(f"wrote a line nobody asked for: {_preview(bytes(self._buffer))}")

    def _read_some(self) -> None:
        """Read what stdout has (it is readable); end of file is a failure."""
        chunk = os.read(self._stdout, 1 << 16)
        if not chunk:
            partial = f" after a partial line {_preview(bytes(self._buffer))}" if self._buffer else ""
            raise ProgramFailed(self._exit_story() + partial)
        self._buffer += chunk
        if len(self._buffer) > 2 * MAX_LINE:
            raise ProgramFailed(f"wrote more than {2 * MAX_LINE // (1024 * 1024)} MiB that nobody asked for yet")

    def _write(self, data: bytes, deadline: float, allowed: float) -> None:
        """Write ``data`` to stdin, reading stdout meanwhile (so neither side waits on a full pipe)."""
        view = memoryview(data)
        while view:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ProgramFailed(f"did not read its input within {allowed:g} s")
            for fd, event in self._both_poll.poll(min(remaining, 60.0) * 1000):
                if fd == self._stdout:
                    self._read_some()
                elif event & (select.POLLERR | select.POLLHUP):
                    raise ProgramFailed(self._exit_story("closed its input"))
                else:
                    try:
                        view = view[os.write(self._stdin, view) :]
                    except BlockingIOError:
                        continue
                    except (BrokenPipeError, ConnectionResetError):
                        raise ProgramFailed(self._exit_story("closed its input")) from None

    def _readable(self, seconds: float) -> bool:
        return bool(self._out_poll.poll(max(seconds, 0.0) * 1000))

    def _read_line(self, deadline: float, allowed: float) -> bytes:
        start = 0
        while True:
            end = self._buffer.find(b"\n", start)
            if end >= 0:
                line = bytes(self._buffer[:end])
                del self._buffer[: end + 1]
                return line
            start = len(self._buffer)
            if start > MAX_LINE:
                raise ProgramFailed(f"wrote a line longer than {MAX_LINE // (1024 * 1024)} MiB")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                partial = f" after a partial line {_preview(bytes(self._buffer))}" if self._buffer else ""
                raise ProgramFailed(f"gave no answer within {allowed:g} s{partial}")
            if self._readable(min(remaining, 60.0)):
                self._read_some()

    # -- failure, stderr and the end ----------------------------------------------------------

    def _exit_story(self, closed: str = "closed its output") -> str:
        """What happened when the output or input closed: the exit status if it exits soon."""
        code = self._wait_exit(GRACE)
        return closed + " and is still running" if code is None else _status(code)

    def _wait_exit(self, seconds: float) -> int | None:
        """The leader's exit status once it has exited (within ``seconds``), without reaping it."""
        deadline = time.monotonic() + seconds
        while True:
            if self._pidfd is not None:
                waiter = select.poll()
                waiter.register(self._pidfd, select.POLLIN)
                waiter.poll(max(deadline - time.monotonic(), 0.0) * 1000)
            try:
                info = os.waitid(os.P_PID, self._proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
            except ChildProcessError:
                return self._proc.returncode
            if info is not None:
                return info.si_status if info.si_code == os.CLD_EXITED else -info.si_status
            if time.monotonic() >= deadline:
                return None
            if self._pidfd is None:
                time.sleep(0.01)

    def _fail(self, what: str) -> ProgramFailed:
        """Record the failure, stop the program and return the exception to raise (with stderr)."""
        self._stop(grace=0.0)
        self._failure = ProgramFailed(what, self.stderr_tail())
        return self._failure

    def _drain(self, fd: int) -> None:
        while True:
            try:
                chunk = os.read(fd, 1 << 16)
            except OSError:
                return
            if not chunk:
                return
            with self._tail_lock:
                self._tail += chunk
                del self._tail[:-STDERR_TAIL]

    def stderr_tail(self) -> str:
        """The last bytes the program wrote on stderr, decoded leniently."""
        with self._tail_lock:
            return self._tail.decode("utf-8", "replace")

    def _signal_group(self, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._proc.pid, sig)

    def _stop(self, grace: float = GRACE) -> None:
        """Stop every process of the group and release the pipes; idempotent."""
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(OSError):
            assert self._proc.stdin is not None
            self._proc.stdin.close()  # end of input: a well-behaved program exits now
        if self._wait_exit(grace) is None:
            self._signal_group(signal.SIGTERM)
            self._wait_exit(GRACE)
        self._signal_group(signal.SIGKILL)  # grandchildren too; the leader is not reaped yet
        _await_death(self._proc.pid, time.monotonic() + GRACE)
        self._proc.wait()
        self._drainer.join(GRACE)
        streams = [self._proc.stdout]
        if not self._drainer.is_alive():  # else a process outside the group still holds stderr
            streams.append(self._proc.stderr)
        for stream in streams:
            with contextlib.suppress(OSError):
                if stream is not None:
                    stream.close()
        if self._pidfd is not None:
            os.close(self._pidfd)
            self._pidfd = None

    def close(self) -> None:
        """Stop the program (see the module's promises)."""
        self._stop()

    def __enter__(self) -> Program:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()
