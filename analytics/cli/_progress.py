"""A small progress bar for long commands, on stderr, silent unless stderr is a terminal.

Long CLI commands (``import``, ``analyze``, ``refresh``) report progress through
a callback ``progress(done, total)``; :class:`ProgressBar` is such a callback
that draws one line on a terminal and prints nothing when the output goes to a
file or a pipe (scripts and logs stay clean).
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["ProgressBar"]


class ProgressBar:
    """``label [#######.......]  48%  1,234/2,570`` redrawn in place on stderr.

    Parameters
    ----------
    label : str
        What is being done (``"analysing"``, ``"importing diary"``).
    stream : file object, optional
        Where to draw; default ``sys.stderr``.
    enabled : bool, optional
        Draw or not; default: only when ``stream`` is a terminal.
    width : int, default 30
        Characters of the bar itself.

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> with ProgressBar("work", stream=out, enabled=True) as bar:
    ...     bar(1, 2)
    ...     bar(2, 2)
    >>> out.getvalue().rstrip().endswith("100%  2/2")
    True
    """

    #: Fewest seconds between two redraws (the last one is always drawn).
    INTERVAL = 0.1

    def __init__(
        self,
        label: str,
        *,
        stream: TextIO | None = None,
        enabled: bool | None = None,
        width: int = 30,
    ) -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        if enabled is None:
            isatty = getattr(self.stream, "isatty", None)
            enabled = bool(isatty and isatty())
        self.enabled = enabled
        self.width = width
        self._last = float("-inf")  # the first report is always drawn
        self._drawn = False

    def __call__(self, done: int, total: int) -> None:
        """Report that ``done`` of ``total`` units are finished."""
        if not self.enabled:
            return
        now = time.monotonic()
        if done < total and now - self._last < self.INTERVAL:
            return
        self._last = now
        share = min(max(done / total, 0.0), 1.0) if total > 0 else 1.0
        filled = int(round(share * self.width))
        bar = "#" * filled + "." * (self.width - filled)
        self.stream.write(f"\r{self.label} [{bar}] {share:4.0%}  {done:,}/{total:,}")
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        """End the line the bar was drawn on (nothing when nothing was drawn)."""
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
