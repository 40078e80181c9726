"""Apply a code patch to a temporary copy of a package and load (or build) the patched copy.

`raftcheck audit --impl-patch FILE.diff` and `--etcd-patch FILE.diff` audit a patch to code,
not to rule functions. The patch is applied with `git apply` (a well-kept tool, in a temporary
directory that is no git repository) to a copy of the package; the checkout's impl/ and the
system's etcd sources are never written.

- impl/: the copy is imported under a private module name (`load_patched_impl`): while its
  modules execute, `sys.modules` maps `impl...` to the copy (impl's modules import each other
  by absolute name), then the real `impl` modules are put back and the copy stays registered
  under the private name only.
- etcd: the patched files are handed to `go build -overlay` together with the harness' own
  package-raft file (`build_patched_harness`), as etcdharness/build.sh does.

Paths in a patch may be relative to the repository (`a/impl/raft.py`, etcd's `a/raft/raft.go`)
or to the package (`a/raft.py`, `a/raft.go`). Every failure is a `PatchError` with one line:
the patch does not apply (file and hunk), does not import or build (the first error), or
the file is missing.
"""

from __future__ import annotations

import importlib
import importlib.util
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

IMPL_DIR = Path(__file__).resolve().parents[1] / "impl"
# impl's modules, imported in dependency order (impl/__init__ imports the rest).
IMPL_MODULES = ("raftpb", "config", "quorum", "tracker", "log", "raft", "rawnode", "bugs")
_counter = itertools.count(1)


class PatchError(Exception):
    """A patch that cannot be audited: the message is one line."""


@dataclass
class PatchedTree:
    """A temporary copy of a package with a patch applied."""

    patch: Path
    root: Path  # the temporary directory
    package: Path  # root / <package name>
    files: list[str] = field(default_factory=list)  # touched files, relative to `package`
    empty: bool = False  # the patch changes nothing
    label: str = ""  # the patch file as the user named it

    @property
    def shown(self) -> str:
        return self.label or self.patch.name

    def cleanup(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def _git(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    # Never let git find a repository above the temporary directory.
    env["GIT_CEILING_DIRECTORIES"] = str(cwd.parent)
    env.pop("GIT_DIR", None)
    env.pop("GIT_WORK_TREE", None)
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                              env=env, check=False)
    except FileNotFoundError:
        raise PatchError("git is needed to apply patches (git apply) and was not found") \
            from None


def _is_empty(text: str) -> bool:
    """No file section at all: an empty patch (nothing to apply) or not a patch."""
    return not any(line.startswith(("--- ", "+++ ", "diff ", "@@", "Binary files"))
                   for line in text.splitlines())


def _first_error(stderr: str) -> str:
    lines = [x.strip() for x in stderr.splitlines() if x.strip()]
    for x in lines:
        if x.startswith("error:"):
            return x[len("error:"):].strip()
    return lines[0] if lines else "git apply failed"


def _hunk_of(patch_text: str, file: str, line: int) -> str:
    """'hunk N (@@ ... @@)' of `file` whose old range starts at `line`, if it is found."""
    k = 0
    current = None
    for x in patch_text.splitlines():
        if x.startswith("+++ ") or x.startswith("--- "):
            name = x[4:].split("\t")[0].strip()
            if name != "/dev/null":
                current = name.split("/", 1)[1] if name[:2] in ("a/", "b/") else name
                if x.startswith("--- "):
                    k = 0
        elif x.startswith("@@") and current is not None and current.endswith(file):
            k += 1
            m = re.match(r"@@ -(\d+)", x)
            if m and int(m.group(1)) == line:
                return f"hunk {k} ({x.split('@@')[1].strip()})"
    return f"the hunk at line {line}"


def apply_patch(patch: Path, source: Path, package: str) -> PatchedTree:
    """Copy `source` (a package directory) to a temporary `<tmp>/<package>` and apply `patch`.

    Paths may start with `<package>/` (repository layout) or name files of the package."""
    if not patch.is_file():
        raise PatchError(f"{patch}: no such file" if not patch.exists() else
                         f"{patch}: not a file")
    try:
        text = patch.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise PatchError(f"{patch}: cannot read: {exc.strerror}") from None
    root = Path(tempfile.mkdtemp(prefix="raftcheck-patch-"))
    pkg = root / package
    shutil.copytree(source, pkg, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    tree = PatchedTree(patch.resolve(), root, pkg, label=str(patch))
    if _is_empty(text):
        if text.strip():  # text, but not a diff: a wrong file, not "nothing changed"
            tree.cleanup()
            raise PatchError(f"{patch}: not a patch: no file section (a `git diff` has "
                             f"'--- a/FILE', '+++ b/FILE' and '@@' hunks)")
        tree.empty = True
        return tree
    try:
        stat = _git(["apply", "--numstat", str(tree.patch)], root)
        if stat.returncode != 0:
            raise PatchError(f"{patch}: not a patch git apply can read: "
                             f"{_first_error(stat.stderr)}")
        paths = [line.split("\t", 2)[2] for line in stat.stdout.splitlines() if "\t" in line]
        if not paths:
            tree.empty = True
            return tree
        prefix = package + "/"
        in_repo = all(p.startswith(prefix) for p in paths)
        cwd = root if in_repo else pkg
        tree.files = [p[len(prefix):] if in_repo else p for p in paths]
        res = _git(["apply", "--whitespace=nowarn", str(tree.patch)], cwd)
        if res.returncode != 0:
            msg = _first_error(res.stderr)
            m = re.search(r"patch failed: (.+):(\d+)", res.stderr)
            if m:
                f = m.group(1)
                shown = f if in_repo else f"{package}/{f}"
                raise PatchError(f"{patch}: does not apply to {shown}: "
                                 f"{_hunk_of(text, f, int(m.group(2)))} fails "
                                 f"(git apply: {msg})")
            raise PatchError(f"{patch}: does not apply: {msg}")
        for f in tree.files:
            if f.startswith("../") or f.startswith("/"):
                raise PatchError(f"{patch}: touches {f}, outside the {package} package")
    except BaseException:
        tree.cleanup()
        raise
    return tree


def changes_anything(tree: PatchedTree, source: Path) -> bool:
    """Does the patched copy differ from the original package (a patch may add and remove the
    same line)?"""
    for f in tree.files:
        a, b = source / f, tree.package / f
        if a.is_file() != b.is_file():
            return True
        if a.is_file() and a.read_bytes() != b.read_bytes():
            return True
    return False


# -- impl/ ------------------------------------------------------------------------------------


@dataclass
class PatchedImpl:
    """The patched impl package, importable only under `name`."""

    name: str
    package: ModuleType
    modules: dict[str, ModuleType]  # "raft" -> module
    tree: PatchedTree

    def module(self, short: str) -> ModuleType:
        return self.modules[short]


def _load_error(exc: BaseException, tree: PatchedTree, package: str) -> str:
    """`impl/raft.py:12: SyntaxError: ...` for an exception raised while importing the copy."""
    root = str(tree.root) + os.sep
    where = ""
    if isinstance(exc, SyntaxError) and exc.filename:
        fname = exc.filename
        where = (fname[len(root):] if fname.startswith(root) else fname) + f":{exc.lineno}: "
        detail = exc.msg
    else:
        detail = str(exc).splitlines()[0] if str(exc) else ""
        frames = traceback.extract_tb(exc.__traceback__)
        inside = [f for f in frames if f.filename.startswith(root)]
        if inside:
            f = inside[-1]
            where = f"{f.filename[len(root):]}:{f.lineno}: "
    return f"{tree.shown}: the patched {package}/ does not import: {where}" \
        f"{type(exc).__name__}" + (f": {detail}" if detail else "")


def load_patched_impl(tree: PatchedTree) -> PatchedImpl:
    """Import the patched copy of impl/ under a private module name."""
    name = f"_raftcheck_patched_impl_{next(_counter)}"
    saved = {k: v for k, v in sys.modules.items() if k == "impl" or k.startswith("impl.")}
    for k in saved:
        del sys.modules[k]
    loaded: dict[str, ModuleType] = {}
    importlib.invalidate_caches()
    try:
        spec = importlib.util.spec_from_file_location(
            "impl", tree.package / "__init__.py", submodule_search_locations=[str(tree.package)]
        )
        if spec is None or spec.loader is None:  # pragma: no cover - a copied package
            raise PatchError(f"{tree.shown}: the patched impl/ has no __init__.py")
        pkg = importlib.util.module_from_spec(spec)
        sys.modules["impl"] = pkg
        try:
            spec.loader.exec_module(pkg)
            for short in IMPL_MODULES:
                if (tree.package / f"{short}.py").is_file():
                    loaded[short] = importlib.import_module(f"impl.{short}")
        except PatchError:
            raise
        except BaseException as exc:  # noqa: BLE001 - any import failure is bad input
            if isinstance(exc, KeyboardInterrupt):
                raise
            raise PatchError(_load_error(exc, tree, "impl")) from None
        for short in ("raft", "rawnode", "raftpb", "config"):
            if short not in loaded:
                raise PatchError(f"{tree.shown}: the patched impl/ has no {short}.py")
    finally:
        mine = {k: v for k, v in sys.modules.items() if k == "impl" or k.startswith("impl.")}
        for k in mine:
            del sys.modules[k]
        sys.modules.update(saved)
        for k, v in mine.items():
            sys.modules[name + k[len("impl"):]] = v
    return PatchedImpl(name, pkg, loaded, tree)


def unload(p: PatchedImpl) -> None:
    for k in [k for k in sys.modules if k == p.name or k.startswith(p.name + ".")]:
        del sys.modules[k]


def patched_impl(patch: Path) -> PatchedImpl:
    """Apply `patch` to a temporary copy of impl/ and import it (PatchError: one line)."""
    tree = apply_patch(patch, IMPL_DIR, "impl")
    try:
        return load_patched_impl(tree)
    except BaseException:
        tree.cleanup()
        raise


def unpatched_impl() -> PatchedImpl:
    """The checkout's impl/, loaded the same way (a private copy: the baseline side)."""
    root = Path(tempfile.mkdtemp(prefix="raftcheck-impl-"))
    pkg = root / "impl"
    shutil.copytree(IMPL_DIR, pkg, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return load_patched_impl(PatchedTree(Path("impl"), root, pkg, empty=True))


# -- etcd --------------------------------------------------------------------------------------


def etcd_raft_dir() -> Path:
    from etcdharness.build import raft_source_dir

    return raft_source_dir()


def etcd_unavailable() -> str | None:
    """Why an etcd patch cannot be audited here (one line), or None."""
    if shutil.which("go") is None:
        return ("--etcd-patch needs Go ('go' on PATH) and etcd 3.4's raft sources; "
                "set up with etcdharness/build.sh")
    if not (etcd_raft_dir() / "raft.go").is_file():
        return (f"--etcd-patch needs etcd 3.4's raft sources at {etcd_raft_dir()}; "
                "set up with etcdharness/build.sh")
    return None


def _go_error(stderr: str, tree: PatchedTree, raft_dir: Path) -> str:
    """The compiler's first error, with paths shown as `raft/FILE.go`."""
    lines = [x for x in stderr.splitlines() if x.strip() and not x.startswith("#")]
    first = next((x for x in lines if re.match(r"\S+\.go:\d+", x.strip())), None)
    first = (first or (lines[0] if lines else "go build failed")).strip()
    for prefix in (str(tree.package) + "/", str(raft_dir) + "/", "go.etcd.io/etcd/raft/"):
        first = first.replace(prefix, "raft/")
    first = re.sub(r"^(\.\./)+.*?/raft/", "raft/", first)
    return first


def build_patched_harness(tree: PatchedTree, out: Path | None = None) -> Path:
    """Build the harness against etcd's raft with the patched files laid over (PatchError)."""
    from etcdharness.build import PACKAGE_DIR, gopath

    raft_dir = etcd_raft_dir()
    replace: dict[str, str] = {
        str(raft_dir / "zz_raftcheck_export_harness.go"):
            str(PACKAGE_DIR / "go" / "raft_export_harness.go"),
    }
    for f in tree.files:
        target = tree.package / f
        if not f.endswith(".go"):
            continue
        # A file the patch deleted is an empty replacement (go build's convention).
        replace[str(raft_dir / f)] = str(target) if target.is_file() else ""
    overlay = tree.root / "overlay.json"
    overlay.write_text(json.dumps({"Replace": replace}), encoding="utf-8")
    binary = out or tree.root / "raftharness"
    env = dict(os.environ, GO111MODULE="off", GOPATH=str(gopath()), GOPROXY="off", GOFLAGS="")
    cache = tree.root / ".gocache"
    probe = subprocess.run(["go", "env", "GOCACHE"], capture_output=True, text=True, env=env,
                           check=False)
    gocache = probe.stdout.strip()
    try:
        if not gocache:
            raise OSError
        Path(gocache).mkdir(parents=True, exist_ok=True)
    except OSError:
        env["GOCACHE"] = str(cache)
    proc = subprocess.run(
        ["go", "build", "-tags", "raftcheck_overlay", "-overlay", str(overlay), "-trimpath",
         "-o", str(binary), str(PACKAGE_DIR / "go" / "main.go")],
        capture_output=True, text=True, env=env, check=False,
    )
    if proc.returncode != 0 or not binary.is_file():
        raise PatchError(f"{tree.shown}: the patched etcd raft package does not build: "
                         f"{_go_error(proc.stderr or proc.stdout, tree, raft_dir)}")
    return binary


def patched_etcd(patch: Path) -> tuple[PatchedTree, Path]:
    """Apply `patch` to a temporary copy of etcd's raft package and build a harness binary."""
    why = etcd_unavailable()
    if why is not None:
        raise PatchError(why)
    tree = apply_patch(patch, etcd_raft_dir(), "raft")
    try:
        return tree, build_patched_harness(tree)
    except BaseException:
        tree.cleanup()
        raise
