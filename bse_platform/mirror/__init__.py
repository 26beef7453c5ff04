"""An offline BSE: a synthetic market, its bhavcopy files, and a loopback HTTP server for them.

No Dagster here. ``python -m bse_platform.mirror`` serves one from the command line.
"""

from bse_platform.mirror.generator import SyntheticMarket, generate_market, published_file, render_bhavcopy
from bse_platform.mirror.server import MirrorResponse, MirrorSite, RunningMirror, serve_mirror

__all__ = [
    "MirrorResponse",
    "MirrorSite",
    "RunningMirror",
    "SyntheticMarket",
    "generate_market",
    "published_file",
    "render_bhavcopy",
    "serve_mirror",
]
