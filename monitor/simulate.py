"""A virtual fleet: cameras whose probe results follow a seeded fault model.

The simulator drives everything after decoding at full size -- the real sharding
(:mod:`monitor.shards`), state machine with hysteresis and flap damping, checkpoints,
spooled batching to the API and the API's database -- with probe results that a model
produces instead of a decoder.  The fault model is a pure function of (seed, camera,
sweep): any process can recompute any camera's history, so a shard resumed on another
worker replays exactly what it lost, and :func:`reference_transitions` knows every
transition the API must end up with.

Fault model, per camera and sweep (priority from top):

- district-wide uplink failure: every ``uplink_every`` sweeps one district (chosen by the
  seed) loses its uplink for ``uplink_sweeps`` sweeps: all its cameras ``unreachable``;
- outages: with probability ``outage_rate`` per sweep an outage of 3..``outage_max``
  sweeps starts (``unreachable``, ``timeout`` or ``no_frames``);
- flapping: a share ``flapping_share`` of cameras has a bad link half of the time, in
  alternating epochs, failing each probe with probability 1/2;
- picture faults: with probability ``degrade_rate`` per sweep a picture fault of
  2..``degrade_max`` sweeps starts (blurred, covered, frozen, black, low_light, moved).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from monitor.feeds import DISTRICTS
from monitor.probe import ProbeResult
from monitor.shards import iso_utc, shard_of
from monitor.state import Hysteresis, StateBook

EPOCH = 64  # sweeps; episodes are drawn per (camera, epoch) and last at most EPOCH sweeps
LINK_REASONS = ("unreachable", "timeout", "no_frames")
PICTURE_REASONS = ("blurred", "covered", "frozen", "black", "low_light", "moved")
GOOD, DEGRADED, FAILED = 0, 1, 2
# rough shares of the nine districts in a 200,000-camera plan (by street length and risk)
DISTRICT_SHARES = np.array([0.08, 0.12, 0.13, 0.17, 0.2, 0.03, 0.12, 0.07, 0.08])


def _mix(*keys: np.ndarray | int) -> np.ndarray:
    """SplitMix64 of the combined integer keys: uniform uint64, vectorised, stateless."""
    x = np.zeros(1, dtype=np.uint64)
    for key in keys:
        x = x ^ np.asarray(key, dtype=np.uint64)
        x = x + np.uint64(0x9E3779B97F4A7C15)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x = x ^ (x >> np.uint64(31))
    return x


def _uniform(*keys: np.ndarray | int) -> np.ndarray:
    return (_mix(*keys) >> np.uint64(11)).astype(np.float64) / float(1 << 53)


@dataclass(frozen=True)
class FaultModel:
    """Seeded fault rates of the virtual fleet (see module docstring)."""

    seed: int = 2006
    outage_rate: float = 0.0005
    outage_max: int = 30
    degrade_rate: float = 0.0005
    degrade_max: int = 20
    flapping_share: float = 0.001
    uplink_every: int = 0
    uplink_sweeps: int = 6

    def __post_init__(self) -> None:
        for name in ("outage_rate", "degrade_rate", "flapping_share"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"fault model {name} must be in [0, 1], got {getattr(self, name)}")
        for name, low in (("outage_max", 3), ("degrade_max", 2)):
            if not low <= getattr(self, name) <= EPOCH:
                raise ValueError(f"fault model {name} must be in {low}..{EPOCH}")
        if self.uplink_every < 0:
            raise ValueError(f"uplink_every must be >= 0, got {self.uplink_every}")
        if self.uplink_every and not 1 <= self.uplink_sweeps <= self.uplink_every:
            raise ValueError(
                f"uplink_sweeps must be in 1..uplink_every ({self.uplink_every}), "
                f"got {self.uplink_sweeps}"
            )

    def _episode(
        self, cams: np.ndarray, sweep: int, salt: int, rate: float, low: int, high: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Which cameras are inside an episode at ``sweep``, and the episode's draw."""
        inside = np.zeros(len(cams), dtype=bool)
        draw = np.zeros(len(cams), dtype=np.uint64)
        p_epoch = 1.0 - (1.0 - rate) ** EPOCH
        for epoch in (sweep // EPOCH, sweep // EPOCH - 1):
            if epoch < 0:
                continue
            happens = _uniform(self.seed, salt, cams, epoch, 1) < p_epoch
            start = epoch * EPOCH + (_mix(self.seed, salt, cams, epoch, 2) % np.uint64(EPOCH))
            length = low + (_mix(self.seed, salt, cams, epoch, 3) % np.uint64(high - low + 1))
            now = happens & (start <= sweep) & (sweep < start + length)
            draw[now] = _mix(self.seed, salt, cams[now], epoch, 4)
            inside |= now
        return inside, draw

    def outcomes(
        self, cams: np.ndarray, district: np.ndarray, sweep: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """(code GOOD/DEGRADED/FAILED, reason index) of cameras ``cams`` at ``sweep``."""
        cams = np.asarray(cams, dtype=np.uint64)
        code = np.full(len(cams), GOOD, dtype=np.int8)
        reason = np.zeros(len(cams), dtype=np.int64)
        picture, draw = self._episode(cams, sweep, 11, self.degrade_rate, 2, self.degrade_max)
        code[picture] = DEGRADED
        reason[picture] = (draw[picture] % np.uint64(len(PICTURE_REASONS))).astype(np.int64)
        flapper = _uniform(self.seed, 21, cams) < self.flapping_share
        flapping = flapper & (_uniform(self.seed, 22, cams, sweep // 8) < 0.5)
        flapping &= _uniform(self.seed, 23, cams, sweep) < 0.5
        down, draw = self._episode(cams, sweep, 31, self.outage_rate, 3, self.outage_max)
        link = down | flapping
        code[link] = FAILED
        reason[link] = (draw[link] % np.uint64(len(LINK_REASONS))).astype(np.int64)
        uplink = self.uplink_district(sweep)
        if uplink is not None:
            cut = district == uplink
            code[cut] = FAILED
            reason[cut] = 0
        return code, reason

    def uplink_district(self, sweep: int) -> int | None:
        """Index (in DISTRICTS) of the district without uplink at ``sweep``, if any."""
        if self.uplink_every <= 0 or sweep < self.uplink_every:
            return None
        if sweep % self.uplink_every >= self.uplink_sweeps:
            return None
        return int(_mix(self.seed, 41, sweep // self.uplink_every)[0] % np.uint64(len(DISTRICTS)))

    def onset(self, cams: np.ndarray, district: np.ndarray, sweep: int) -> np.ndarray:
        """First sweep of each camera's current run of same-kind probes (good, degraded or
        failed) at ``sweep``: when the condition behind a transition at ``sweep`` began."""
        now = self.outcomes(cams, district, sweep)[0]
        start = np.full(len(cams), sweep, dtype=np.int64)
        open_run = np.ones(len(cams), dtype=bool)
        for back in range(1, 2 * EPOCH + 1):
            k = sweep - back
            if k < 0 or not open_run.any():
                break
            same = self.outcomes(cams, district, k)[0] == now
            open_run &= same
            start[open_run] = k
        return start


@dataclass(frozen=True)
class VirtualFleet:
    """``cameras`` virtual cameras ``SIM-000000``...; districts drawn by DISTRICT_SHARES."""

    cameras: int
    model: FaultModel = field(default_factory=FaultModel)

    def __post_init__(self) -> None:
        if self.cameras < 1:
            raise ValueError(f"--cameras must be >= 1, got {self.cameras}")

    def camera_ids(self, index: np.ndarray | None = None) -> list[str]:
        """Ids of the cameras at ``index`` (all when None)."""
        idx = np.arange(self.cameras) if index is None else index
        return [f"SIM-{i:06d}" for i in idx.tolist()]

    def districts(self, index: np.ndarray | None = None) -> np.ndarray:
        """District index (in DISTRICTS) of each camera."""
        idx = np.arange(self.cameras) if index is None else np.asarray(index)
        u = _uniform(self.model.seed, 51, idx.astype(np.uint64))
        bounds = np.cumsum(DISTRICT_SHARES) / DISTRICT_SHARES.sum()
        return np.minimum(np.searchsorted(bounds, u, side="right"), len(DISTRICTS) - 1)

    def shard_members(self, shard: int, n_shards: int) -> np.ndarray:
        """Camera indices in ``shard`` (by the stable hash of their ids)."""
        return np.flatnonzero(shard_of(self.camera_ids(), n_shards) == shard)

    def results(
        self, index: np.ndarray, district: np.ndarray, sweep: int, at: float
    ) -> list[ProbeResult]:
        """Probe results of cameras ``index`` at ``sweep``, as the real probe reports them."""
        code, reason = self.model.outcomes(index, district, sweep)
        started = iso_utc(at)
        ids = self.camera_ids(index)
        names = [DISTRICTS[d] for d in district.tolist()]
        reasons = [
            [] if c == GOOD else [(LINK_REASONS if c == FAILED else PICTURE_REASONS)[r]]
            for c, r in zip(code.tolist(), reason.tolist(), strict=True)
        ]
        return [
            ProbeResult(
                cid, f"sim://{cid}", name, started, not why, why, fps=None if c == FAILED else 25.0
            )
            for cid, name, why, c in zip(ids, names, reasons, code.tolist(), strict=True)
        ]


@dataclass
class VirtualSource:
    """The probe source of one shard of a virtual fleet (see monitor.shards.ProbeSource)."""

    fleet: VirtualFleet
    index: np.ndarray
    district: np.ndarray

    def probe(self, sweep: int, scheduled_at: float) -> list[ProbeResult]:
        """The shard's cameras at ``sweep``."""
        return self.fleet.results(self.index, self.district, sweep, scheduled_at)

    def close(self) -> None:
        """Nothing to release."""


@dataclass(frozen=True)
class FleetSources:
    """Picklable factory of each shard's VirtualSource (built on the worker)."""

    fleet: VirtualFleet

    def __call__(self, shard: int, n_shards: int) -> VirtualSource:
        index = self.fleet.shard_members(shard, n_shards)
        return VirtualSource(self.fleet, index, self.fleet.districts(index))


def reference_transitions(
    fleet: VirtualFleet, sweeps: int, hysteresis: Hysteresis | None = None
) -> list[tuple[str, int, str, bool]]:
    """Every transition the fleet must produce in ``sweeps`` sweeps, computed in-process:
    (camera_id, seq, to_state, flapping), in order."""
    book = StateBook(hysteresis)
    index = np.arange(fleet.cameras)
    district = fleet.districts(index)
    seq: dict[str, int] = {}
    out: list[tuple[str, int, str, bool]] = []
    for k in range(sweeps):
        for result in fleet.results(index, district, k, 0.0):
            event = book.observe(result)
            if event is not None:
                n = seq.get(event.camera_id, 0)
                seq[event.camera_id] = n + 1
                out.append((event.camera_id, n, event.to_state, event.flapping))
    return out
