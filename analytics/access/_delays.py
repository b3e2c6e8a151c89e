"""What sign-in attempts may cost: progressive delays, and a bound on password checks at once.

A fixed 15-minute lock after five wrong passwords let anyone lock anyone out for 15
minutes with five guesses. The delays grow instead:

* **per account**: the fifth wrong password in a row locks the account for
  :data:`FIRST_LOCK_MINUTES` minute; each further lock within :data:`LOCK_MEMORY_HOURS`
  hours doubles it, up to :data:`LOCK_MINUTES` (1, 2, 4, 8, 15, 15 … minutes);
* **per source address**: an address may get :data:`FREE_FAILURES_PER_ADDRESS` sign-ins
  wrong (wrong password, unknown username, a locked or disabled account) without
  waiting; after that each further attempt from it waits
  :data:`FIRST_ADDRESS_DELAY_SECONDS` seconds after its last failure, doubling with
  each failure, up to :data:`LOCK_MINUTES` minutes. An attempt inside its wait is
  refused before any password is checked and does not count against the account. A
  right password clears the address's count.

So a guesser at one address slows down long before an account's lock grows long, and
the person at their own device is not held up by someone else's guesses at theirs.
The address is the one the server sees, or, behind a reverse proxy, the address the
proxy puts in the header named by ``$PAINDIARY_FORWARDED_HEADER``
(:func:`source_address`); without that setting the header is ignored, since anyone
can send it.

:class:`CheckGate` bounds the password checks running at once, per username and in the
whole process: a burst of sign-ins waits its turn instead of outrunning the lockout or
taking argon2's 64 MiB per check many times over.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

__all__ = [
    "FREE_FAILURES_PER_ADDRESS",
    "FIRST_ADDRESS_DELAY_SECONDS",
    "FIRST_LOCK_MINUTES",
    "LOCK_MINUTES",
    "LOCK_MEMORY_HOURS",
    "FORWARDED_HEADER_VARIABLE",
    "lock_minutes",
    "address_delay",
    "AddressDelays",
    "CheckGate",
    "source_address",
]

#: Wrong sign-ins from one address before each further attempt from it waits.
FREE_FAILURES_PER_ADDRESS = 3
#: The first wait of an address, in seconds; it doubles with each further failure.
FIRST_ADDRESS_DELAY_SECONDS = 2
#: The first lock of an account, in minutes; it doubles with each further lock.
FIRST_LOCK_MINUTES = 1
#: The longest lock of an account and the longest wait of an address, in minutes.
LOCK_MINUTES = 15
#: Locks of an account and failures of an address are remembered this long, in hours.
LOCK_MEMORY_HOURS = 24
#: The environment variable naming the reverse proxy's header of the client address.
FORWARDED_HEADER_VARIABLE = "PAINDIARY_FORWARDED_HEADER"

#: Addresses remembered at most (the oldest are forgotten first): a bound on memory.
_MAX_ADDRESSES = 10_000


def lock_minutes(recent_locks: int) -> int:
    """Return how long an account's next lock lasts, given its locks in the last day.

    >>> [lock_minutes(n) for n in range(6)]
    [1, 2, 4, 8, 15, 15]
    """
    if recent_locks < 0:
        raise ValueError(
            f"The 'recent_locks' parameter of lock_minutes must be an int >= 0. "
            f"Got {recent_locks!r} instead."
        )
    return int(min(LOCK_MINUTES, FIRST_LOCK_MINUTES * 2 ** min(recent_locks, 16)))


def address_delay(failures: int) -> dt.timedelta:
    """Return how long an address waits after its last failure, given its failures.

    >>> [address_delay(n).total_seconds() for n in (2, 3, 4, 5, 12)]
    [0.0, 2.0, 4.0, 8.0, 900.0]
    """
    if failures < FREE_FAILURES_PER_ADDRESS:
        return dt.timedelta(0)
    doublings = min(failures - FREE_FAILURES_PER_ADDRESS, 20)
    seconds = FIRST_ADDRESS_DELAY_SECONDS * 2**doublings
    return dt.timedelta(seconds=min(seconds, LOCK_MINUTES * 60))


class AddressDelays:
    """The failed sign-ins of each source address in this server process (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: dict[str, tuple[int, dt.datetime]] = {}

    def wait_until(self, address: str | None, now: dt.datetime) -> dt.datetime | None:
        """Return until when ``address`` must wait, or None when it may try now (or is None)."""
        if not address:
            return None
        with self._lock:
            entry = self._seen.get(address)
        if entry is None:
            return None
        failures, last = entry
        until = last + address_delay(failures)
        return until if until > now else None

    def failed(self, address: str | None, now: dt.datetime) -> int:
        """Count a failed sign-in of ``address``; return its failures so far (0: no address)."""
        if not address:
            return 0
        forget_before = now - dt.timedelta(hours=LOCK_MEMORY_HOURS)
        with self._lock:
            failures, last = self._seen.pop(address, (0, now))
            failures = 1 if last < forget_before else failures + 1
            self._seen[address] = (failures, now)  # re-inserted: the newest come last
            if len(self._seen) > _MAX_ADDRESSES:
                for old in list(self._seen)[: len(self._seen) - _MAX_ADDRESSES]:
                    del self._seen[old]
            return failures

    def succeeded(self, address: str | None) -> None:
        """Forget the failures of ``address`` (a right password was given from it)."""
        if not address:
            return
        with self._lock:
            self._seen.pop(address, None)

    def clear(self) -> None:
        """Forget every address."""
        with self._lock:
            self._seen.clear()


def source_address(
    remote: str | None, headers: Mapping[str, str], *, forwarded_header: str | None
) -> str | None:
    """Return the address a sign-in comes from.

    Parameters
    ----------
    remote : str or None
        The address of the connection the server sees.
    headers : mapping
        The request's headers (names compared without regard to case).
    forwarded_header : str or None
        The header a trusted reverse proxy sets (``X-Forwarded-For``, ``X-Real-IP``),
        from ``$PAINDIARY_FORWARDED_HEADER``; None to ignore every such header.

    Returns
    -------
    str or None
        The last address of the header when one is configured and present (the one
        the proxy added; earlier ones are whatever the client sent), else ``remote``.
    """
    if forwarded_header:
        wanted = forwarded_header.strip().lower()
        for name, value in headers.items():
            if name.lower() == wanted:
                last = str(value).split(",")[-1].strip()
                if last:
                    return last[:64]
    return remote[:64] if remote else None


class CheckGate:
    """Bound the password checks running at once: per username and in all."""

    def __init__(self, per_account: int, overall: int) -> None:
        self._per_account = per_account
        self._overall = threading.BoundedSemaphore(overall)
        self._lock = threading.Lock()
        # username -> (its semaphore, attempts holding or waiting for it)
        self._accounts: dict[str, tuple[threading.BoundedSemaphore, int]] = {}

    @contextmanager
    def turn(self, name: str) -> Iterator[None]:
        """Wait for this username's turn, then for a free check, and hold both."""
        with self._lock:
            gate, waiting = self._accounts.get(name) or (
                threading.BoundedSemaphore(self._per_account),
                0,
            )
            self._accounts[name] = (gate, waiting + 1)
        try:
            with gate, self._overall:
                yield
        finally:
            with self._lock:
                gate, waiting = self._accounts[name]
                if waiting == 1:
                    del self._accounts[name]
                else:
                    self._accounts[name] = (gate, waiting - 1)

    def waiting(self, name: str) -> int:
        """Count the attempts for ``name`` being checked or waiting for their turn."""
        with self._lock:
            entry = self._accounts.get(name)
            return entry[1] if entry else 0
