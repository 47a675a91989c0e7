"""The door: kit's public functions, run here or, through the data service, where the file is.

A function marked `@public` takes the connection first. Given a connection of this
process it simply runs. Given a connection to the data service, it is not run here:
its name and arguments go to the service, which runs it in that connection's
transaction, so the access checks run where the file is (DESIGN.md, decision 1).

A function marked `@action` opens its own connection (an analyst's helper, a check,
a backup). When this process reaches the file through the service, the whole call
is run there, with the caller's verified identity.

Only marked functions can be called through the door: helpers that trust their
arguments (the trace's writers, checkers fed by a checked function) are not marked.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from kit import config, db
from kit.service import client

P = ParamSpec("P")
R = TypeVar("R")

# name -> (the function itself, the index of its connection parameter)
FUNCTIONS: dict[str, tuple[Callable[..., Any], int]] = {}
# name -> (the function itself, the name of its database path parameter)
ACTIONS: dict[str, tuple[Callable[..., Any], str]] = {}


def _name(fn: Callable[..., Any]) -> str:
    return f"{fn.__module__}.{fn.__qualname__}"


def public(fn: Callable[P, R]) -> Callable[P, R]:
    """Mark a function that takes a connection (`con`) and checks its caller's rights itself."""
    name = _name(fn)
    position = list(inspect.signature(fn).parameters).index("con")
    FUNCTIONS[name] = (fn, position)

    @functools.wraps(fn)
    def call(*args: P.args, **kwargs: P.kwargs) -> R:
        if len(args) > position:
            con, rest, by = args[position], (*args[:position], *args[position + 1 :]), "arg"
        else:
            con, rest, by = kwargs.get("con"), args, "kw"
        if isinstance(con, db.RemoteConnection):
            others = {k: v for k, v in kwargs.items() if k != "con"}
            return con.forward(name, rest, others, by)  # type: ignore[no-any-return]
        return fn(*args, **kwargs)

    return call


def action(path: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Mark a function that opens the database at its parameter `path` itself."""

    def mark(fn: Callable[P, R]) -> Callable[P, R]:
        name = _name(fn)
        signature = inspect.signature(fn)
        if path not in signature.parameters:
            raise TypeError(f"{name} has no parameter {path}")
        ACTIONS[name] = (fn, path)

        @functools.wraps(fn)
        def call(*args: P.args, **kwargs: P.kwargs) -> R:
            bound = signature.bind(*args, **kwargs)
            file = config.db_path(bound.arguments.get(path))
            if not db.through_service(file):
                return fn(*args, **kwargs)
            arguments = {k: v for k, v in bound.arguments.items() if k != path}  # the service names its own file
            return client.run_action(file, name, [], arguments)  # type: ignore[no-any-return]

        return call

    return mark


def find(name: str) -> tuple[Callable[..., Any], bool]:
    """The function the service may run under `name`, and whether it is an action.

    Raises:
        KeyError: no such function may be called through the door.
    """
    if name in FUNCTIONS:
        return FUNCTIONS[name][0], False
    if name in ACTIONS:
        return ACTIONS[name][0], True
    raise KeyError(name)
