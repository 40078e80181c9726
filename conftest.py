"""Suite-wide setup (at the root: a conftest.py in tests/ would put tests/ on sys.path, where
tests/impl/ and its neighbours would shadow the packages they test)."""

from __future__ import annotations

import signal

# A suite started in the background (`nohup ... &`, some CI runners) inherits SIGINT as
# ignored, and so would every process it starts: the Ctrl-C tests would then wait for an
# interrupt that never comes. Restore what a terminal gives, for this process and its children.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)
