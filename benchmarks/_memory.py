"""Peak resident memory of a block of work (Linux): reset the high-water mark, run, read it back."""
from __future__ import annotations

import resource


def _status(field: str) -> int:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(field)


class PeakMemory:
    """``with PeakMemory() as peak: ...`` then ``peak.mib``: the highest resident set during the block minus
    the resident set at its start. Falls back to ``ru_maxrss`` growth where /proc is not available."""

    def __enter__(self) -> PeakMemory:
        try:
            with open("/proc/self/clear_refs", "w") as handle:
                handle.write("5")  # reset VmHWM to the current VmRSS
            self._proc = True
            self._start = _status("VmRSS")
        except OSError:
            self._proc = False
            self._start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        return self

    def __exit__(self, *exc) -> None:
        end = _status("VmHWM") if self._proc else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        self.bytes = max(end - self._start, 0)
        self.start_bytes = self._start

    @property
    def mib(self) -> float:
        return self.bytes / 2**20
