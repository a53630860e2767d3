"""The Mersenne Twister engine behind ember.Generator, in the same state and order as PyTorch's CPU one.

torch's CPU generator is mt19937 seeded with ``init_genrand(seed & 0xffffffff)``: the same state NumPy's
``MT19937._legacy_seeding`` builds, so NumPy's bit generator produces torch's 32-bit words in order
(``random_raw``, vectorised). A 64-bit draw takes two words, the first as the high half. On top of the
words this module keeps what torch's generator keeps besides: the seed it was given and the cached
second value of the double Box-Muller transform, and it reads and writes torch's 5056-byte state layout.
"""
from __future__ import annotations

import numpy as np

STATE_SIZE = 5056  # bytes of torch's CPUGeneratorImplState
_N = 624           # mt19937 words of state
_U32 = np.uint64(0xFFFFFFFF)

# byte offsets in the state: seed, left, seeded, next, 624 words (8 bytes each), normal cache, float cache
_SEED, _LEFT, _SEEDED, _NEXT, _WORDS = 0, 8, 12, 16, 24
_NORMAL_Y, _NORMAL_VALID, _FLOAT_NORMAL, _FLOAT_VALID = 5024, 5040, 5048, 5052


class Engine:
    """mt19937 words plus torch's extra generator state (seed, cached normal)."""

    __slots__ = ("bitgen", "fresh", "next_double_normal", "seed")

    def __init__(self, seed: int) -> None:
        self.bitgen = np.random.MT19937()
        self.reseed(seed)

    def reseed(self, seed: int) -> None:
        self.seed = seed
        self.bitgen._legacy_seeding(seed & 0xFFFFFFFF)
        self.fresh = True  # torch's `next` field reads 0 until the first draw
        self.next_double_normal = None

    def words(self, n: int) -> np.ndarray:
        """The next n 32-bit outputs, as uint64."""
        if n <= 0:
            return np.empty(0, np.uint64)
        self.fresh = False
        return self.bitgen.random_raw(n).astype(np.uint64, copy=False)

    def words64(self, n: int) -> np.ndarray:
        """The next n 64-bit draws (two words each, the first one high)."""
        w = self.words(2 * n)
        return (w[0::2] << np.uint64(32)) | w[1::2]

    def uniform24(self, n: int) -> np.ndarray:
        """n float32 uniforms in [0, 1) from 24 bits of one word each (torch's float/half draw)."""
        return (self.words(n) & np.uint64(0xFFFFFF)).astype(np.float32) * np.float32(2.0 ** -24)

    def uniform53(self, n: int) -> np.ndarray:
        """n float64 uniforms in [0, 1) from 53 bits of a 64-bit draw (torch's double draw)."""
        return (self.words64(n) & np.uint64((1 << 53) - 1)).astype(np.float64) * 2.0 ** -53

    # ----------------------------------------------------------------- torch's byte layout
    def get_state(self) -> np.ndarray:
        """torch's 5056-byte state: equal bytes to torch.get_rng_state() after the same calls."""
        st = self.bitgen.state["state"]
        pos = int(st["pos"])
        buf = np.zeros(STATE_SIZE, np.uint8)
        buf[_SEED:_SEED + 8] = np.array([self.seed], "<u8").view(np.uint8)
        buf[_LEFT:_LEFT + 4] = np.array([_N + 1 - pos], "<i4").view(np.uint8)
        buf[_SEEDED:_SEEDED + 4] = np.array([1], "<i4").view(np.uint8)
        buf[_NEXT:_NEXT + 8] = np.array([0 if self.fresh else pos], "<u8").view(np.uint8)
        buf[_WORDS:_WORDS + 8 * _N] = np.asarray(st["key"], "<u8").view(np.uint8)
        if self.next_double_normal is not None:
            buf[_NORMAL_Y:_NORMAL_Y + 8] = np.array([self.next_double_normal], "<f8").view(np.uint8)
            buf[_NORMAL_VALID] = 1
        return buf

    def set_state(self, buf: np.ndarray) -> None:
        buf = np.ascontiguousarray(buf, np.uint8)
        if buf.size != STATE_SIZE:
            raise RuntimeError(f"Expected a CPUGeneratorImplState of size {STATE_SIZE} but found the "
                               f"input RNG state size to be {buf.size}")
        left = int(buf[_LEFT:_LEFT + 4].view("<i4")[0])
        if not 1 <= left <= _N + 1 or buf[_SEEDED:_SEEDED + 4].view("<i4")[0] != 1:
            raise RuntimeError("Invalid mt19937 state")
        key = buf[_WORDS:_WORDS + 8 * _N].view("<u8")
        self.bitgen.state = {"bit_generator": "MT19937",
                             "state": {"key": (key & _U32).astype(np.uint32), "pos": _N + 1 - left}}
        self.seed = int(buf[_SEED:_SEED + 8].view("<u8")[0])
        self.fresh = int(buf[_NEXT:_NEXT + 8].view("<u8")[0]) == 0 and left == 1
        valid = int(buf[_NORMAL_VALID:_NORMAL_VALID + 4].view("<i4")[0])
        self.next_double_normal = float(buf[_NORMAL_Y:_NORMAL_Y + 8].view("<f8")[0]) if valid else None
