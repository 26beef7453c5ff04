"""Freed array memory is kept for reuse while a run computes and handed back after it
(bse_platform/memory.py), measured by the page faults and resident memory of a fresh process that
allocates and frees arrays the size of a long panel's columns."""

import json
import subprocess
import sys

import pytest

CYCLES = 10
ALIVE = 8  # arrays alive at once: their heap, freed, is more than glibc's default trim threshold
ARRAY_BYTES = 24 * 1024 * 1024  # under glibc's largest mmap threshold, like a column of 3M rows
MB = 1024 * 1024

ALLOCATE_AND_FREE = f"""
import json, resource, sys
from contextlib import nullcontext
import numpy as np
import pyarrow as pa
from bse_platform.memory import freed_memory_kept

def resident_mb():
    return int(open("/proc/self/statm").read().split()[1]) * resource.getpagesize() / {MB}

def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt

def cycle():
    values = [np.ones({ARRAY_BYTES} // 8) for _ in range({ALIVE})]
    del values

arrow_pool = pa.default_memory_pool().backend_name
with (freed_memory_kept() if sys.argv[1] == "kept" else nullcontext(None)) as kept:
    cycle()  # first touch, not counted
    before = faults()
    for _ in range({CYCLES}):
        cycle()
    within = {{"faults": faults() - before, "resident_mb": resident_mb(), "arrow_pool": pa.default_memory_pool().backend_name}}
after = {{"resident_mb": resident_mb(), "arrow_pool": pa.default_memory_pool().backend_name}}
print(json.dumps({{"kept": kept, "arrow_pool": arrow_pool, "within": within, "after": after}}))
"""


def measured(mode: str) -> dict:
    completed = subprocess.run([sys.executable, "-c", ALLOCATE_AND_FREE, mode], capture_output=True, text=True, check=True)
    return json.loads(completed.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt and malloc_trim: Linux only")
def test_freed_arrays_are_reused_within_and_handed_back_after():
    default, kept = measured("default"), measured("kept")
    assert default["within"]["faults"] > CYCLES * ALIVE  # glibc's defaults hand the memory back: each cycle faults it in
    assert kept["kept"] is True
    assert kept["within"]["faults"] < default["within"]["faults"] / 100, (kept, default)
    assert kept["within"]["arrow_pool"] == "system"  # Arrow allocates through the same malloc meanwhile
    assert kept["within"]["resident_mb"] > ALIVE * ARRAY_BYTES / MB  # the freed arrays' memory, held
    assert kept["after"]["resident_mb"] < kept["within"]["resident_mb"] - ALIVE * ARRAY_BYTES / MB / 2  # and handed back
    assert kept["after"]["arrow_pool"] == kept["arrow_pool"]
