"""Build the compiled exploration core and liveness analysis; everything else is in pyproject.toml.

The extensions are optional: where one cannot be compiled, raftcheck runs the pure-Python
reference (engine, or liveness analysis) and says so in one line.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "explorer._fastcore",
            ["explorer/_fastcore.c"],
            extra_compile_args=["-O3", "-std=c11", "-Wall", "-Wextra", "-Wno-unused-parameter",
                                "-pthread"],
            extra_link_args=["-pthread"],
            optional=True,
        ),
        # The liveness analysis's hot loops (SCCs, reverse graph, backward reachability).
        Extension(
            "explorer._livecore",
            ["explorer/_livecore.c"],
            extra_compile_args=["-O3", "-std=c11", "-Wall", "-Wextra", "-Wno-unused-parameter",
                                "-pthread"],
            extra_link_args=["-pthread"],
            optional=True,
        ),
    ]
)
