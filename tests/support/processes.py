"""Processes as Linux shows them in /proc: whose children are alive, which are gone."""

from __future__ import annotations

from pathlib import Path


def children_of(pid: int) -> dict[int, str]:
    """Process id to command line of `pid`'s children, read from /proc."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                command = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ")
                found[int(stat.parent.name)] = command.decode()
        except (OSError, IndexError, ValueError):
            continue  # the process ended while we looked
    return found


def is_zombie(pid: int) -> bool:
    """Ended, its status not yet read (or gone altogether)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def ended(pid: int) -> bool:
    """Gone, or a zombie waiting for a parent to read its status."""
    return not Path(f"/proc/{pid}").exists() or is_zombie(pid)
