"""A harness driving etcd 3.4.23's real raft library, for differential tests.

Set up once with ``etcdharness/build.sh``; then ``EtcdRawNode`` / ``EtcdCluster``
(``etcdharness.client``) offer impl's node API on real etcd RawNodes. See
etcdharness/README.md and etcdharness/FINDINGS.md.
"""
