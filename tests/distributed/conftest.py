"""One local Ray cluster (loopback, 2 CPUs, no dashboard) for every Ray test of the session:
starting one costs 5-10 s. Modules that need it skip where Ray is missing (unless
RAFTCHECK_REQUIRE_RAY=1, as in CI) and use the `ray_cluster` fixture."""
from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[None]:
    import ray

    ray.init(num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1",
             log_to_driver=False, logging_level="ERROR")
    yield
    ray.shutdown()
