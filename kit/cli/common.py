"""What every command module shares: the handler and adder types, and rounds named on the command line."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from kit import db, inspections
from kit.errors import NotFound

Handler = Callable[[argparse.Namespace], int]
# Adds one command: its name, its handler and its help; returns its parser for the arguments.
Adder = Callable[[str, Handler, str], argparse.ArgumentParser]


def round_codes(con: db.Connection, text: str) -> list[tuple[str, int]]:
    """(code, id) of the rounds named as 2024-1,2024-2 (also with ， or 、), or of every round for `all`."""
    if text.strip().lower() == "all":
        return [(r["code"], int(r["id"])) for r in reversed(inspections.list_rounds(con))]
    codes = [c.strip() for c in text.replace("，", ",").replace("、", ",").split(",") if c.strip()]
    if not codes:
        raise NotFound("未指定巡察轮次")
    return [(code, inspections.round_id(con, code)) for code in dict.fromkeys(codes)]
