"""Values and errors on the wire between kit and its data service.

A message is one JSON document plus binary parts (bytes, Arrow tables) carried beside
it, so an evidence file or a DataFrame is never turned into text. JSON cannot tell a
tuple from a list, a date from a string or a Decimal from a float, so such values are
tagged: an object whose only key starts with "$". The service decodes only plain
values and the callbacks it was told about; the client, which trusts its service,
also rebuilds kit's errors and may load the module of a kit dataclass it is sent; the service
rebuilds only dataclasses of kit modules it has loaded (a report section handed back, say).
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import math
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from pathlib import Path, PurePath
from typing import Any

import pyarrow as pa

from kit import errors
from kit.errors import KitError

# Exceptions that are not kit's own but that callers may rely on (a bug stays a bug).
_BUILTIN_ERRORS: dict[str, type[BaseException]] = {
    e.__name__: e
    for e in (
        ValueError,
        TypeError,
        KeyError,
        IndexError,
        LookupError,
        RuntimeError,
        FileExistsError,
        FileNotFoundError,
        PermissionError,
        OSError,
        ZeroDivisionError,
        AttributeError,
        AssertionError,
        NotImplementedError,
        RecursionError,
        OverflowError,
        UnicodeError,
    )
}


class WireError(KitError):
    """A message that cannot be read as kit's values (damaged, or from something that is not kit)."""

    title = "数据服务通信错误"


class Encoder:
    """Turns one value into JSON-ready data, collecting its binary parts and callbacks."""

    def __init__(self, *, allow_callbacks: bool = False) -> None:
        self.blobs: list[bytes | pa.Buffer] = []
        self.callbacks: list[Callable[..., Any]] = []
        self._allow_callbacks = allow_callbacks

    def blob(self, data: bytes | pa.Buffer) -> int:
        self.blobs.append(data)
        return len(self.blobs) - 1

    def __call__(self, value: Any) -> Any:
        if value is None or isinstance(value, bool | int | str):
            return value
        if isinstance(value, float):
            return value if math.isfinite(value) else {"$f": repr(value)}
        if isinstance(value, list):
            return [self(v) for v in value]
        if isinstance(value, dict):
            if all(isinstance(k, str) and not k.startswith("$") for k in value):
                return {k: self(v) for k, v in value.items()}
            return {"$m": [[self(k), self(v)] for k, v in value.items()]}
        if isinstance(value, tuple) and not hasattr(value, "_fields"):
            return {"$t": [self(v) for v in value]}
        if isinstance(value, frozenset):
            return {"$fs": [self(v) for v in value]}
        if isinstance(value, set):
            return {"$s": [self(v) for v in value]}
        if isinstance(value, datetime):
            return {"$dt": value.isoformat()}
        if isinstance(value, date):
            return {"$date": value.isoformat()}
        if isinstance(value, time):
            return {"$time": value.isoformat()}
        if isinstance(value, Decimal):
            return {"$dec": str(value)}
        if isinstance(value, bytes | bytearray | memoryview):
            return {"$b": self.blob(bytes(value))}
        if isinstance(value, PurePath):
            return {"$path": str(value)}
        pd = sys.modules.get("pandas")  # a frame can only exist once pandas is imported: never import it here
        if pd is not None and isinstance(value, pd.DataFrame):
            return {"$df": self.blob(_ipc(pa.Table.from_pandas(value, preserve_index=None)))}
        if isinstance(value, pa.Table):
            return {"$tbl": self.blob(_ipc(value))}
        if isinstance(value, BaseException):
            return {"$err": error_data(value)}
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            cls = type(value)
            fields = {f.name: self(getattr(value, f.name)) for f in dataclasses.fields(value)}
            return {"$obj": f"{cls.__module__}:{cls.__qualname__}", "f": fields}
        if callable(value) and self._allow_callbacks:
            self.callbacks.append(value)
            return {"$cb": len(self.callbacks) - 1}
        item = getattr(value, "item", None)  # a numpy scalar from a DataFrame cell
        if callable(item) and type(value).__module__ == "numpy":
            return self(item())
        if isinstance(value, Mapping):
            return self(dict(value))
        if isinstance(value, Iterable):  # a generator or iterator is read once, as the function would
            return self(list(value))
        raise errors.InvalidInput.one("_", f"无法识别的参数值（{type(value).__name__}），操作未执行。")


def _ipc(table: pa.Table) -> pa.Buffer:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue()


def _table(data: bytes | pa.Buffer) -> pa.Table:
    return pa.ipc.open_stream(data).read_all()


class Decoder:
    """Rebuilds values from JSON data and binary parts.

    `trusted` (the client reading its service) also rebuilds errors and loads dataclasses' modules;
    `callback(i)` supplies the stand-in for the sender's i-th callback.
    """

    def __init__(
        self,
        blobs: Sequence[bytes | pa.Buffer],
        *,
        trusted: bool,
        callback: Callable[[int], Callable[..., Any]] | None = None,
    ) -> None:
        self._blobs = blobs
        self._trusted = trusted
        self._callback = callback

    def _blob(self, index: Any) -> bytes | pa.Buffer:
        if not isinstance(index, int) or not 0 <= index < len(self._blobs):
            raise WireError("数据服务消息已损坏：引用了不存在的附件。")
        return self._blobs[index]

    def __call__(self, data: Any) -> Any:
        if data is None or isinstance(data, bool | int | float | str):
            return data
        if isinstance(data, list):
            return [self(v) for v in data]
        if not isinstance(data, dict):
            raise WireError("数据服务消息已损坏。")
        tag = next((k for k in data if k.startswith("$")), None)
        if tag is None:
            return {k: self(v) for k, v in data.items()}
        value = data[tag]
        try:
            if tag == "$m":
                return {_hashable(self(k)): self(v) for k, v in value}
            if tag == "$t":
                return tuple(self(v) for v in value)
            if tag == "$fs":
                return frozenset(_hashable(self(v)) for v in value)
            if tag == "$s":
                return {_hashable(self(v)) for v in value}
            if tag == "$dt":
                return datetime.fromisoformat(value)
            if tag == "$date":
                return date.fromisoformat(value)
            if tag == "$time":
                return time.fromisoformat(value)
            if tag == "$dec":
                return Decimal(value)
            if tag == "$f":
                return float(value)
            if tag == "$b":
                blob = self._blob(value)
                return blob.to_pybytes() if isinstance(blob, pa.Buffer) else bytes(blob)
            if tag == "$path":
                return Path(value)
            if tag == "$df":
                return _table(self._blob(value)).to_pandas()
            if tag == "$tbl":
                return _table(self._blob(value))
            if tag == "$cb" and self._callback is not None:
                return self._callback(int(value))
            if tag == "$err" and self._trusted:
                return error_from(value)
            if tag == "$obj":
                return self._dataclass(value, data.get("f", {}))
        except (TypeError, ValueError, InvalidOperation, pa.ArrowException) as e:
            raise WireError(f"数据服务消息已损坏：{tag} 无法读取。") from e
        raise WireError(f"数据服务不接受这种值（{tag}）。")

    def _dataclass(self, name: Any, fields: Mapping[str, Any]) -> Any:
        module_name, _, qualname = str(name).partition(":")
        if not module_name.startswith("kit."):
            raise WireError(f"未知的类型 {name}。")
        # The client may load kit's modules; the service only builds classes it has loaded itself.
        obj: Any = importlib.import_module(module_name) if self._trusted else sys.modules.get(module_name)
        for part in qualname.split("."):
            obj = getattr(obj, part, None)
        if not (isinstance(obj, type) and dataclasses.is_dataclass(obj)):
            raise WireError(f"未知的类型 {name}。")
        values = {k: self(v) for k, v in fields.items()}
        init = {f.name: values[f.name] for f in dataclasses.fields(obj) if f.init and f.name in values}
        built = obj(**init)
        for f in dataclasses.fields(obj):
            if not f.init and f.name in values:
                object.__setattr__(built, f.name, values[f.name])
        return built


def _hashable(value: Any) -> Any:
    return tuple(_hashable(v) for v in value) if isinstance(value, list) else value


def error_data(exc: BaseException) -> dict[str, Any]:
    """What the other side needs to raise the same error."""
    found: dict[str, Any] = {"type": type(exc).__name__, "message": str(exc)}
    if isinstance(exc, KitError):
        found.update(kit=True, message=exc.message, title=exc.title)
        if isinstance(exc, errors.InvalidInput):
            found["errors"] = exc.errors
        if isinstance(exc, errors.PermissionDenied):
            found.update(action=exc.action, target=exc.target)
    elif isinstance(exc, KeyError) and exc.args:
        found["message"] = str(exc.args[0])
    return found


def error_from(data: Mapping[str, Any]) -> BaseException:
    """The error the service raised, as the same class on this side."""
    name, message = str(data.get("type", "")), str(data.get("message", ""))
    if data.get("kit"):
        cls = getattr(errors, name, None)
        title = data.get("title")
        if not (isinstance(cls, type) and issubclass(cls, KitError)):
            return KitError(message, title=title)
        if issubclass(cls, errors.InvalidInput):
            return cls(dict(data.get("errors") or {"_": message}), title=title)
        if issubclass(cls, errors.PermissionDenied):
            return cls(message, action=str(data.get("action", "")), target=str(data.get("target", "")), title=title)
        return cls(message, title=title)
    builtin = _BUILTIN_ERRORS.get(name)
    if builtin is not None:
        return builtin(message)
    return RuntimeError(f"数据服务中的程序错误（{name}）：{message}")


def dumps(data: Any) -> bytes:
    # "surrogatepass": a lone surrogate typed or pasted into a form reaches the validator that refuses it.
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.encode("utf-8", "surrogatepass")


def loads(raw: bytes | pa.Buffer | None) -> Any:
    if raw is None:
        raise WireError("数据服务消息已损坏：缺少内容。")
    try:
        data = raw.to_pybytes() if isinstance(raw, pa.Buffer) else raw
        return json.loads(data.decode("utf-8", "surrogatepass"))
    except (ValueError, RecursionError) as e:
        raise WireError("数据服务消息已损坏：无法解析。") from e


# A message: its JSON document in the Flight metadata, its binary parts (if any) as one
# batch of a single binary column beside it.
BLOBS = pa.schema([("part", pa.large_binary())])


def pack(doc: Any, blobs: Sequence[bytes | pa.Buffer] = ()) -> tuple[pa.RecordBatch | None, bytes]:
    """A message ready for the exchange: the batch of binary parts (or None) and the metadata."""
    if not blobs:
        return None, dumps(doc)
    parts = [b.to_pybytes() if isinstance(b, pa.Buffer) else bytes(b) for b in blobs]
    return pa.record_batch([pa.array(parts, pa.large_binary())], schema=BLOBS), dumps(doc)


def unpack(chunk: Any) -> tuple[dict[str, Any], list[pa.Buffer]]:
    """A received message: its document and its binary parts (without copying them)."""
    doc = loads(chunk.app_metadata)
    if not isinstance(doc, dict):
        raise WireError("数据服务消息已损坏。")
    data = chunk.data
    if data is None or data.num_columns != 1:
        return doc, []
    column = data.column(0)
    return doc, [column[i].as_buffer() for i in range(len(column))]
