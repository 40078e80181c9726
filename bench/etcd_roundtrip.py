from etcdharness.bench_roundtrip import main

raise SystemExit(main())
