"""Keep freed array memory in the process, for runs that allocate and free gigabytes of arrays.

glibc's malloc hands large freed blocks back to the kernel (``munmap`` above its mmap threshold,
trimming the heap's top above its trim threshold), so the next array of that size is faulted in and
zeroed page by page again. A feature run over years of history makes a few hundred arrays of
10-150 MB: with glibc's defaults, one daily partition spent 1.5 s of its 2.4 s of feature
computation in the kernel, zeroing pages (``perf``: ``clear_page_erms`` under page faults), and
0.9 s in all once freed memory was kept for reuse. The price is that the process keeps its peak
heap until it ends, which a Dagster run worker does after its run.
"""

import ctypes
import ctypes.util
from functools import cache

# mallopt parameters (glibc's malloc.h)
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
# The largest mmap threshold glibc accepts on 64-bit (DEFAULT_MMAP_THRESHOLD_MAX): blocks up to it
# come from the heap and are reused; larger ones (a frame's consolidated block) are still mapped.
LARGEST_MMAP_THRESHOLD = 32 * 1024 * 1024
NEVER_TRIM = -1  # mallopt(3): -1 disables trimming


@cache
def keep_freed_memory() -> bool:
    """Make glibc's malloc keep freed memory for reuse, once per process; whether it could (not on
    another C library)."""
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c")).mallopt
    except (OSError, AttributeError, TypeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, LARGEST_MMAP_THRESHOLD) and mallopt(M_TRIM_THRESHOLD, NEVER_TRIM))
