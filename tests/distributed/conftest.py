"""A real local Ray instance per test module (4 logical CPUs, no dashboard), shut down after.

``trueneg.distributed.connect`` reuses the connection this fixture opens, so ``ray="auto"``
runs on it.
"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def ray_cluster(tmp_path_factory):
    ray = pytest.importorskip("ray", reason="needs `pip install 'trueneg[ray]'`")
    pytest.importorskip("ray.data", reason="needs `pip install 'trueneg[ray]'`")
    if ray.is_initialized():
        ray.shutdown()
    ray.init(num_cpus=4, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    yield ray
    ray.shutdown()
