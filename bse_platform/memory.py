"""Keep freed array memory in the process while a run computes, for work that allocates and frees
gigabytes of arrays.

glibc's malloc hands large freed blocks back to the kernel (``munmap`` above its mmap threshold,
trimming the heap's top above its trim threshold), so the next array of that size is faulted in and
zeroed page by page again. A feature run over years of history makes a few hundred arrays of
10-150 MB: with glibc's defaults, one daily partition spent 1.5 s of its 2.4 s of feature
computation in the kernel, zeroing pages (``perf``: ``clear_page_erms`` under page faults), and
0.9 s in all once freed memory was kept for reuse. Arrow's buffers (Parquet scans, filters, the
conversions to pandas) are taken from the same malloc meanwhile, rather than Arrow's mimalloc, which
hands its freed pages back too: reading a daily partition's history took 1.5 s that way, 1.0 s this
way. Afterwards the freed memory goes back to the kernel, so a process running one run after another
does not carry the heap of one into the next (the mmap threshold stays at the value set: glibc has no
way back to its adaptive one).
"""

import ctypes
import ctypes.util
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

import pyarrow as pa

# mallopt parameters (glibc's malloc.h) and glibc's default trim threshold
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
DEFAULT_TRIM_THRESHOLD = 128 * 1024
# The largest mmap threshold glibc accepts on 64-bit (DEFAULT_MMAP_THRESHOLD_MAX): blocks up to it
# come from the heap and are reused; larger ones (a frame's consolidated block) are still mapped.
LARGEST_MMAP_THRESHOLD = 32 * 1024 * 1024
NEVER_TRIM = -1  # mallopt(3): -1 disables trimming


@cache
def _glibc() -> ctypes.CDLL | None:
    """The C library if it is glibc (it has mallopt and malloc_trim), else None."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        libc.mallopt.argtypes, libc.mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
        libc.malloc_trim.argtypes, libc.malloc_trim.restype = [ctypes.c_size_t], ctypes.c_int
    except (OSError, AttributeError, TypeError):
        return None
    return libc


@contextmanager
def freed_memory_kept() -> Iterator[bool]:
    """Within: glibc's malloc keeps freed memory for reuse and Arrow allocates through it; after: the
    freed memory is handed back to the kernel. Yields whether it could (not on another C library)."""
    libc = _glibc()
    if libc is None or not (libc.mallopt(M_MMAP_THRESHOLD, LARGEST_MMAP_THRESHOLD) and libc.mallopt(M_TRIM_THRESHOLD, NEVER_TRIM)):
        yield False
        return
    arrow_pool = pa.default_memory_pool()
    pa.set_memory_pool(pa.system_memory_pool())  # buffers allocated meanwhile are freed by the pool they came from
    try:
        yield True
    finally:
        pa.set_memory_pool(arrow_pool)
        libc.mallopt(M_TRIM_THRESHOLD, DEFAULT_TRIM_THRESHOLD)
        libc.malloc_trim(0)
