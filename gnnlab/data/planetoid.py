"""The Planetoid citation graphs (Cora, CiteSeer, PubMed) from the files bundled with the package.

The raw files live in the repository's ``datasets/`` folder, which is installed as the package
``gnnlab.datasets`` (package data, with its licence), so a wheel finds them wherever it runs.

The raw files are Python 2 pickles, and unpickling runs whatever a file asks for. They are read with a
restricted unpickler that builds only the objects the Planetoid files hold (numpy arrays and dtypes, scipy's CSR
matrix, the graph's ``defaultdict`` of lists), as ``torch.load(weights_only=True)`` does for checkpoints: a file
crafted to run code when unpickled is refused before anything in it runs. The graph is then assembled as PyG's
``torch_geometric.io.read_planetoid_data`` assembles it (the tests check that the two are equal). The processed
copy kept between runs holds tensors only and is read back with ``torch.load(weights_only=True)``; PyG's own
processed files (``data.pt``, ``pre_transform.pt``), which PyG may unpickle without restriction, are never read.
"""
from __future__ import annotations

import collections
import os
import pickle
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse
import torch
from torch_geometric.data import Data
from torch_geometric.io import read_txt_array
from torch_geometric.io.planetoid import edge_index_from_dict
from torch_geometric.transforms import NormalizeFeatures
from torch_geometric.utils import index_to_mask

# the names and the folders are plain data the command line reads too (without importing PyTorch)
from gnnlab._catalog import (
    DATASETS,
    PLANETOID_SOURCE,
    PUBMED_ALLX_RELEASED_SHA256,
    bundled_root,
    data_origin,
    default_root,
    raw_file_names,
    rebuilt_allx,
)
from gnnlab.data.split import random_split
from gnnlab.utils.io import atomic_write
from gnnlab.utils.validation import check_choice, describe, fail

_SOURCE = PLANETOID_SOURCE

try:  # numpy >= 2 moved the array-rebuilding function that numpy 1's pickles name numpy.core.multiarray
    from numpy._core.multiarray import _reconstruct
except ImportError:
    from numpy.core.multiarray import _reconstruct

#: every global the Planetoid raw files reference (``pickletools`` lists them in the 21 pickles of Cora, CiteSeer
#: and PubMed), under the names these Python 2 pickles give them and the names Python 3, numpy 2 and scipy >= 1.8
#: give the same objects; plus ``dict``, for a graph saved as a plain dict
_ALLOWED_GLOBALS: dict[tuple[str, str], Any] = {
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
    ("scipy.sparse.csr", "csr_matrix"): scipy.sparse.csr_matrix,
    ("scipy.sparse._csr", "csr_matrix"): scipy.sparse.csr_matrix,
    ("collections", "defaultdict"): collections.defaultdict,
    ("__builtin__", "list"): list,
    ("builtins", "list"): list,
    ("__builtin__", "dict"): dict,
    ("builtins", "dict"): dict,
}
_ALLOWED_NAMES = ", ".join(sorted({f"{obj.__module__}.{obj.__qualname__}" for obj in _ALLOWED_GLOBALS.values()}))

#: what reading a damaged raw file raises (the unpickler, numpy, scipy, torch's conversion, the text reader)
_UNREADABLE = (pickle.UnpicklingError, EOFError, ValueError, TypeError, UnicodeDecodeError, AttributeError,
               ImportError, IndexError, KeyError, RuntimeError)

#: the processed copy: gnnlab's own file (tensors and plain containers only), beside PyG's ``data.pt``
_CACHE_NAME = "gnnlab.pt"
_CACHE_FORMAT = "gnnlab.planetoid/1"

#: the raw folders (and what they hold) the rebuilt-file notice was given for in this process: it is said once
_NOTICED: set[tuple[str, str]] = set()


class RebuiltFileWarning(UserWarning):
    """Given once per folder and process when :func:`load_planetoid` reads a raw file that is not the Planetoid
    release: the ``ind.pubmed.allx`` gnnlab bundles is a faithful rebuild (values within 5e-7 of the released
    ones; ``datasets/PubMed/PROVENANCE.md``), since the released file could not be obtained. The released file
    (sha256 :data:`gnnlab._catalog.PUBMED_ALLX_RELEASED_SHA256`) in ``root=`` or ``$GNNLAB_DATA`` is read without
    it. Filter it like any warning, by this category.

    Args:
        *args: the message, as for any :class:`UserWarning`.

    Example::

        >>> import warnings
        >>> from gnnlab.data import RebuiltFileWarning, load_planetoid
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore", RebuiltFileWarning)
        ...     data = load_planetoid("pubmed")
        >>> data
        Data(x=[19717, 500], edge_index=[2, 88648], y=[19717], train_mask=[19717], val_mask=[19717],
             test_mask=[19717], name='PubMed')
    """


class _RefusedGlobal(pickle.UnpicklingError):
    """A raw file named a global outside :data:`_ALLOWED_GLOBALS`; ``qualified`` is its ``module.name``."""

    def __init__(self, qualified: str) -> None:
        super().__init__(qualified)
        self.qualified = qualified


class _PlanetoidUnpickler(pickle.Unpickler):
    """An unpickler that builds only the objects of :data:`_ALLOWED_GLOBALS`: any other global a file names is
    refused before it is imported, so nothing the file asks for runs."""

    def find_class(self, module: str, name: str) -> Any:
        try:
            return _ALLOWED_GLOBALS[module, name]
        except KeyError:
            raise _RefusedGlobal(f"{module}.{name}") from None


def _read_raw_file(path: Path) -> Any:
    """One raw file as PyG's ``read_file`` returns it: the test indices as a long tensor, the graph as its dict of
    neighbour lists, every other part (dense or CSR) as a dense float tensor."""
    if path.name.endswith(".test.index"):  # plain text: one node index a line
        return read_txt_array(str(path), dtype=torch.long)
    with open(path, "rb") as handle:
        content = _PlanetoidUnpickler(handle, encoding="latin1").load()
    if path.name.endswith(".graph"):
        return content
    content = content.todense() if hasattr(content, "todense") else content
    return torch.from_numpy(content).to(torch.float)


def _read_raw_files(who: str, raw_dir: Path, canonical: str) -> list[Any]:
    """The eight raw files in the order of ``raw_file_names``; a file that cannot be read, or that references a
    global outside the allowed ones, is an error naming it."""
    items = []
    for file_name in raw_file_names(canonical):
        path = raw_dir / file_name
        try:
            items.append(_read_raw_file(path))
        except _RefusedGlobal as refused:
            fail(who, f"a Planetoid raw file at '{path}' that references only the classes and functions Planetoid "
                 f"files hold ({_ALLOWED_NAMES}); replace it with gnnlab's datasets/{canonical}/raw/{file_name} or "
                 f"the file from {_SOURCE}", f"a reference to '{refused.qualified}', which is not in that list: "
                 "refused before anything in the file ran")
        except _UNREADABLE as error:
            raise ValueError(f"'{who}' expected a readable Planetoid raw file at '{path}'; restore it from gnnlab's "
                             f"datasets/ folder or {_SOURCE} (got {type(error).__name__}: {error})") from error
    return items


def _assemble(items: list[Any], canonical: str) -> Data:
    """The graph with its public split from the eight raw parts, as PyG's ``read_planetoid_data`` builds it for
    Cora, CiteSeer and PubMed: the test nodes' rows put back at their indices, labels from the one-hot rows, the
    edges of the graph dict without self-loops and duplicates."""
    x, tx, allx, y, ty, ally, graph, test_index = items
    num_train = y.size(0)
    sorted_test_index = test_index.sort()[0]
    if canonical == "CiteSeer":
        # some test nodes of CiteSeer are isolated and have no row in tx and ty: zero rows keep the test indices
        # consecutive
        num_test = int(test_index.max() - test_index.min()) + 1
        tx_full = torch.zeros(num_test, tx.size(1), dtype=tx.dtype)
        tx_full[sorted_test_index - test_index.min(), :] = tx
        ty_full = torch.zeros(num_test, ty.size(1), dtype=ty.dtype)
        ty_full[sorted_test_index - test_index.min(), :] = ty
        tx, ty = tx_full, ty_full
    x = torch.cat([allx, tx], dim=0)
    x[test_index] = x[sorted_test_index]
    y = torch.cat([ally, ty], dim=0).max(dim=1)[1]
    y[test_index] = y[sorted_test_index]
    num_nodes = y.size(0)
    data = Data(x=x, edge_index=edge_index_from_dict(graph, num_nodes=num_nodes), y=y)
    data.train_mask = index_to_mask(torch.arange(num_train), size=num_nodes)
    data.val_mask = index_to_mask(torch.arange(num_train, num_train + 500), size=num_nodes)
    data.test_mask = index_to_mask(test_index, size=num_nodes)
    return data


def _processed_dir(dataset_dir: Path) -> Path:
    """Where the processed copy goes: beside the raw files of a user's folder if it is writable; in the user's
    cache for the bundled files (gnnlab never writes into its installed package) and for read-only folders."""
    preferred = dataset_dir / "processed"
    bundled = dataset_dir.parent.resolve() == bundled_root().resolve()
    if not bundled and (os.access(dataset_dir, os.W_OK) or (preferred.is_dir() and os.access(preferred, os.W_OK))):
        return preferred
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "gnnlab"
    # the bundled copy has a cache of its own: a read-only folder of the same name may hold other files
    return cache / ("bundled" if bundled else "") / dataset_dir.name / "processed"


def _raw_fingerprint(raw_dir: Path, canonical: str) -> dict[str, list[int]]:
    """Size and modification time of each raw file: a processed copy of other files is rebuilt."""
    return {name: [stat.st_size, stat.st_mtime_ns]
            for name in raw_file_names(canonical) for stat in [(raw_dir / name).stat()]}


def _read_processed(who: str, path: Path, fingerprint: dict[str, list[int]]) -> Data | None:
    """The processed copy at ``path`` if it is one of these raw files; ``None`` if there is none or it is stale.
    A file that does not load with ``weights_only=True`` (one crafted to run code among them) is refused."""
    if not path.is_file():
        return None
    try:
        with warnings.catch_warnings():  # the restricted unpickler warns about foreign pickle protocols
            warnings.simplefilter("ignore", UserWarning)
            stored = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, AttributeError, ValueError, TypeError, IndexError,
            KeyError, OSError, UnicodeDecodeError) as error:
        lines = [line for line in str(error).splitlines() if line.strip()] or [type(error).__name__]
        # torch's first line only says that a weights-only load failed; the next one says what was refused
        reason = lines[1] if len(lines) > 1 and lines[0].startswith("Weights only load failed") else lines[0]
        fail(who, f"gnnlab's processed copy of the Planetoid files at '{path}' to load with "
             "torch.load(weights_only=True); delete it (gnnlab writes it again from the raw files)",
             f"refused: {reason.strip()[:300]}")
    if not (isinstance(stored, dict) and stored.get("format") == _CACHE_FORMAT
            and stored.get("raw_files") == fingerprint and isinstance(stored.get("data"), dict)):
        return None
    return Data.from_dict(stored["data"])


def _planetoid_data(who: str, raw_dir: Path, processed_dir: Path, canonical: str) -> Data:
    """The graph with its public split: from the processed copy when it is current, else from the raw files
    (and the processed copy written for next time)."""
    fingerprint = _raw_fingerprint(raw_dir, canonical)
    processed = processed_dir / _CACHE_NAME
    data = _read_processed(who, processed, fingerprint)
    if data is not None:
        return data
    items = _read_raw_files(who, raw_dir, canonical)
    try:
        data = _assemble(items, canonical)
    except _UNREADABLE as error:  # each file loads, but they do not fit together
        raise ValueError(f"'{who}' expected the Planetoid raw files of one graph in '{raw_dir}'; restore them "
                         f"from gnnlab's datasets/ folder or {_SOURCE} (got {type(error).__name__}: {error})") \
            from error
    with atomic_write(processed, "wb") as handle:
        torch.save({"format": _CACHE_FORMAT, "raw_files": fingerprint, "data": data.to_dict()}, handle)
    return data


def _notice_rebuilt(raw_dir: Path, canonical: str) -> None:
    """Warn, once per folder and process, that a raw file is not the Planetoid release."""
    kind = rebuilt_allx(canonical, raw_dir)
    key = (str(raw_dir.resolve()), kind or "")
    if kind is None or key in _NOTICED:
        return
    _NOTICED.add(key)
    what = ("gnnlab's faithful rebuild of it (values within 5e-7 of the released ones; see datasets/PubMed/"
            "PROVENANCE.md)" if kind == "rebuilt" else "neither the released file nor gnnlab's rebuild of it")
    warnings.warn(f"'load_planetoid' reads {raw_dir / 'ind.pubmed.allx'}, which is not the Planetoid release but "
                  f"{what}; the released file (sha256 {PUBMED_ALLX_RELEASED_SHA256}) in its place is read without "
                  "this notice", RebuiltFileWarning, stacklevel=3)


def load_planetoid(
    name: str,
    root: str | os.PathLike | None = None,
    split: str = "public",
    normalize_features: bool = True,
    seed: int = 0,
) -> Data:
    """Load Cora, CiteSeer or PubMed as a :class:`torch_geometric.data.Data`, equal to what PyG's
    :class:`~torch_geometric.datasets.Planetoid` gives for the same files.

    Args:
        name: ``"cora"``, ``"citeseer"`` or ``"pubmed"`` (any case).
        root: folder holding ``<Name>/raw/ind.<name>.*``; defaults to :func:`default_root`.
        split: ``"public"``: the Planetoid split (20 labelled nodes per class, 500 validation, 1000 test);
            ``"full"``: the public validation and test nodes, every other node for training;
            ``"random"``: the notes' stratified 60/20/20 split (:func:`gnnlab.data.random_split`).
        normalize_features: row-normalise the bag-of-words (PubMed: TF-IDF) features so each row sums to one
            (as in Kipf & Welling 2017).
        seed: seed of the ``"random"`` split; ignored by the others.

    The raw files are read from disk only: nothing is downloaded. They are unpickled with a restricted
    unpickler: a file that references any class but those the Planetoid files hold is refused before anything in
    it runs. Missing files raise :class:`FileNotFoundError`, unreadable or refused ones :class:`ValueError`,
    naming the file. A processed copy is kept beside the raw files (or in ``~/.cache/gnnlab``) and rebuilt when
    they change. PubMed's bundled ``ind.pubmed.allx`` is a rebuild of the released file: reading it gives a
    :class:`RebuiltFileWarning`, once.

    Example::

        >>> from gnnlab.data import load_planetoid, num_classes
        >>> data = load_planetoid("cora")
        >>> data
        Data(x=[2708, 1433], edge_index=[2, 10556], y=[2708], train_mask=[2708], val_mask=[2708],
             test_mask=[2708], name='Cora')
        >>> num_classes(data), int(data.train_mask.sum()), int(data.val_mask.sum()), int(data.test_mask.sum())
        (7, 140, 500, 1000)
        >>> data = load_planetoid("cora", split="random", seed=1)  # stratified 60/20/20
        >>> int(data.train_mask.sum()), int(data.val_mask.sum()), int(data.test_mask.sum())
        (1625, 542, 541)
    """
    who = "load_planetoid"
    if not isinstance(name, str) or name.lower() not in DATASETS:
        fail(who, f"'name' to be one of {sorted(DATASETS.values())} (any case)", describe(name))
    check_choice(who, "split", split, ("public", "full", "random"))
    canonical = DATASETS[name.lower()]
    root_path = Path(root).expanduser() if root is not None else default_root()
    raw_dir = root_path / canonical / "raw"
    missing = [f for f in raw_file_names(canonical) if not (raw_dir / f).is_file()]
    if missing:
        where = data_origin(root)
        fail(who, f"the Planetoid raw files of {canonical} in '{raw_dir}' ({where}); copy them there from "
             f"gnnlab's datasets/{canonical}/raw/ (bundled in the package under gnnlab/datasets/) or download "
             f"them from {_SOURCE} (gnnlab never downloads)", f"missing {', '.join(missing)}", FileNotFoundError)

    _notice_rebuilt(raw_dir, canonical)
    data = _planetoid_data(who, raw_dir, _processed_dir(root_path / canonical), canonical)
    if split == "full":
        data.train_mask = ~(data.val_mask | data.test_mask)
    if normalize_features:
        data = NormalizeFeatures()(data)
    data.name = canonical
    if split == "random":
        train, val, test = random_split(data, seed=seed)
        data.train_mask, data.val_mask, data.test_mask = train, val, test
    return data


def num_classes(data: Data) -> int:
    """The number of classes of a node-classification ``Data`` (largest label + 1).

    Args:
        data: a ``Data`` with integer node labels ``y`` (0 when ``y`` is empty).

    Example::

        >>> from gnnlab.data import karate_club, num_classes
        >>> num_classes(karate_club())
        2
    """
    return int(data.y.max()) + 1 if data.y.numel() else 0


__all__ = ["load_planetoid", "default_root", "bundled_root", "raw_file_names", "DATASETS", "num_classes",
           "RebuiltFileWarning"]
