"""A harness driving etcd 3.4.23's real raft library, for differential tests.

Set up once with ``etcdharness/build.sh``; then ``EtcdRawNode`` / ``EtcdCluster``
(etcdharness.client) offer impl's node API on real etcd RawNodes.
"""

from etcdharness.build import EtcdUnavailable, ensure_built, go_available

__all__ = ["EtcdUnavailable", "ensure_built", "go_available"]
