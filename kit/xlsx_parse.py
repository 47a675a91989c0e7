"""An uploaded .xlsx parsed in a child process under a memory cap.

`xlsx_guard.check` bounds what a workbook may ask for before any reader opens it; what
it cannot see (a few cells each holding a shared text of 32,767 characters, a reader's
own appetite) may still grow without end once the grid is built. The grid is therefore
built by a child, `python -m kit.xlsx_parse`, that limits its own address space
(RLIMIT_AS) before it reads anything: a workbook that explodes there ends that child
alone, and the user is told so with nothing imported. The child gets the file's bytes on
stdin and gives back the sheet's rows as a pickle of plain values (str, int, float,
bool, and datetime's date, datetime, time, timedelta: what python-calamine returns),
which the parent reads admitting no other class.

The child is started with `subprocess` (fork and exec in one step, without running any
Python in between): a kernel holds threads, and a forked copy of it is unsafe. It is
killed and waited for on every path. The cap is `PARSE_MEMORY_MB` or `KIT_XLSX_MEMORY_MB`
and covers the child's whole address space, the interpreter's ~16 MB included. Where the
`resource` module or RLIMIT_AS is missing (Windows; macOS does not enforce it), the child
runs without a cap, still apart from the kernel and within `PARSE_TIMEOUT_S`.
"""

from __future__ import annotations

import io
import math
import os
import pickle
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kit.errors import InvalidInput, KitError

# A 100,000-row ledger of 7 columns takes about 130 MB; the largest sheet `xlsx_guard` lets
# through (4,000,000 cells of short text) about 800 MB.
PARSE_MEMORY_MB = 1024
MEMORY_ENV = "KIT_XLSX_MEMORY_MB"
PARSE_TIMEOUT_S = 120.0  # a 100,000-row ledger takes about 1 s, those 4,000,000 cells 5 s

# The child's exit status when it ran out of memory and could still say so.
_MEMORY_EXIT = 86
# What a child out of memory writes when it dies without saying so: Rust's allocation
# failure (python-calamine), a MemoryError met where it cannot be caught, the loader.
# pyo3 says "PyObject pointer is null" when Python could not make a value; zlib-rs, MemError.
_MEMORY_SIGNS = (
    b"memory allocation of",
    b"MemoryError",
    b"PyObject pointer is null",
    b"MemError",
    b"Cannot allocate memory",
    b"failed to map segment",
)
_PLAIN = frozenset({"date", "datetime", "time", "timedelta"})


def memory_mb() -> int:
    """The cap in MB: `KIT_XLSX_MEMORY_MB` if it is a positive whole number, else `PARSE_MEMORY_MB`."""
    raw = os.environ.get(MEMORY_ENV, "").strip()
    try:
        value = int(raw) if raw else PARSE_MEMORY_MB
    except ValueError:
        return PARSE_MEMORY_MB
    return value if value > 0 else PARSE_MEMORY_MB


def _memory_refused(cap: int) -> InvalidInput:
    return InvalidInput.one("file", f"文件解析时超出内存上限（{cap} MB），未导入任何数据。请拆分文件后重试。")


def _timeout_refused() -> InvalidInput:
    return InvalidInput.one(
        "file", f"文件解析超过 {PARSE_TIMEOUT_S:g} 秒仍未完成，已中止，未导入任何数据。请拆分文件后重试。"
    )


def _unreadable(detail: str) -> InvalidInput:
    return InvalidInput.one("file", f"无法读取该 Excel 文件（.xlsx）：{detail[:80]}")


class _Plain(pickle.Unpickler):
    """Unpickles the child's answer: lists, tuples, numbers, text, and datetime's four classes only."""

    def find_class(self, module: str, name: str) -> Any:
        if module == "datetime" and name in _PLAIN:
            import datetime

            return getattr(datetime, name)
        raise pickle.UnpicklingError(f"解析结果中出现了不允许的类型 {module}.{name}")


def _command(cap: int, prefer: str, skip: Sequence[str]) -> list[str]:
    """The child's command line (-P: nothing from the working folder shadows a module)."""
    alarm = math.ceil(PARSE_TIMEOUT_S) + 10  # the child's own end, should its parent vanish
    return [sys.executable, "-P", "-m", "kit.xlsx_parse", str(cap), str(alarm), prefer, *skip]


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    # kit itself, wherever the parent found it; and no backtrace from Rust, whose printing
    # can deadlock (until the timeout) in a process that has no memory left.
    root = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    env["RUST_BACKTRACE"] = "0"
    return env


def sheet_rows(data: bytes, prefer: str, skip: Sequence[str] = ()) -> list[list[Any]]:
    """The grid of one sheet, from A1 (list index + 1 is the Excel row), read in a capped child.

    The sheet is the one named `prefer`, else the first not named in `skip`, else the first.

    Raises:
        InvalidInput: the reader refused the file, or the child ran out of memory
            (`memory_mb()`), took longer than `PARSE_TIMEOUT_S`, or failed otherwise.
        KitError: the child could not be started.
    """
    cap = memory_mb()
    timed_out = False
    try:
        child = subprocess.Popen(
            _command(cap, prefer, skip),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=_environment(),
        )
    except OSError as e:
        raise KitError(f"无法启动解析 Excel 文件的进程（{e}），未导入任何数据。") from e
    with child:  # leaving it closes the pipes
        try:
            out, err = child.communicate(data, timeout=PARSE_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            if child.poll() is None:  # timed out, or this process was interrupted: the child goes now
                child.kill()
            child.wait()  # and is waited for, on every path: none is left behind
    if timed_out:
        raise _timeout_refused()
    code = child.returncode
    if code != 0 and (code == _MEMORY_EXIT or any(sign in err for sign in _MEMORY_SIGNS)):
        raise _memory_refused(cap)
    if code < 0 and code == -getattr(signal, "SIGKILL", 0):  # not by this process: the system's OOM killer
        raise _memory_refused(cap)
    if code < 0 and code == -getattr(signal, "SIGALRM", 0):  # the child's own end (see `_command`)
        raise _timeout_refused()
    if code != 0:
        last = err.decode(errors="replace").strip().splitlines()[-1:] or [f"解析进程异常退出（{code}）"]
        raise _unreadable(last[0])
    try:
        status, value = _Plain(io.BytesIO(out)).load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError) as e:
        raise _unreadable(f"解析结果无效（{e}）") from None
    if status == "invalid":
        raise _unreadable(str(value))
    rows: list[list[Any]] = value
    return rows


# --- the child ---------------------------------------------------------------------------------


def _limit(cap_mb: int) -> None:
    """This process's address space capped at `cap_mb` MB (where the platform allows it)."""
    try:
        import resource
    except ImportError:  # Windows
        return
    cap = cap_mb * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    try:
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    except (ValueError, OSError):  # a platform that does not enforce it
        return


def _read(data: bytes, prefer: str, skip: Sequence[str]) -> list[list[Any]]:
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_object(io.BytesIO(data))
    names = list(book.sheet_names)
    name = prefer if prefer in names else next((n for n in names if n not in skip), names[0])
    # skip_empty_area=False keeps the grid anchored at A1, so list index + 1 is the Excel row.
    rows: list[list[Any]] = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
    return rows


def _child(argv: Sequence[str]) -> int:
    cap, alarm, prefer, *skip = argv
    # Loaded before the cap: pyo3 loads datetime on first use, which would fail under it.
    import datetime  # noqa: F401

    from python_calamine import CalamineError

    _limit(int(cap))
    if hasattr(signal, "alarm"):
        signal.alarm(int(alarm))
    try:
        answer: tuple[str, Any] = ("rows", _read(sys.stdin.buffer.read(), prefer, skip))
    except MemoryError:
        os._exit(_MEMORY_EXIT)
    except (CalamineError, IndexError) as e:
        answer = ("invalid", str(e)[:200])
    try:
        pickler = pickle.Pickler(sys.stdout.buffer, protocol=pickle.HIGHEST_PROTOCOL)
        pickler.fast = True  # no memo: every cell is an object of its own, and a memo of them adds ~40% to the peak
        pickler.dump(answer)
        sys.stdout.buffer.flush()
    except MemoryError:
        os._exit(_MEMORY_EXIT)
    return 0


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1:]))
