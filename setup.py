"""Build the compiled exploration core; everything else is in pyproject.toml.

The extension is optional: where it cannot be compiled, raftcheck runs on the pure-Python
reference engine and says so in one line.
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
        )
    ]
)
