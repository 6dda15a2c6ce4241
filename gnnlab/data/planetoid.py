"""The Planetoid citation graphs (Cora, CiteSeer) from the files bundled with the package.

The raw files live in the repository's ``datasets/`` folder, which is installed as the package
``gnnlab.datasets`` (package data, with its licence), so a wheel finds them wherever it runs.
"""
from __future__ import annotations

import os
import pickle
from pathlib import Path

from torch_geometric.data import Data
from torch_geometric.datasets import Planetoid
from torch_geometric.io.planetoid import read_file
from torch_geometric.transforms import NormalizeFeatures

# the names and the folders are plain data the command line reads too (without importing PyTorch)
from gnnlab._catalog import DATASETS, PLANETOID_SOURCE, bundled_root, data_origin, default_root, raw_file_names
from gnnlab.data.split import random_split
from gnnlab.utils.validation import check_choice, describe, fail

_SOURCE = PLANETOID_SOURCE


class _BundledPlanetoid(Planetoid):
    """PyG's :class:`Planetoid` that keeps its processed cache elsewhere when ``root`` is read-only."""

    def __init__(self, root: str, name: str, split: str, processed_dir: str, transform=None) -> None:
        self._gnnlab_processed_dir = processed_dir
        super().__init__(root, name, split=split, transform=transform)

    @property
    def processed_dir(self) -> str:
        return self._gnnlab_processed_dir

    def download(self) -> None:  # never reached: load_planetoid checks the files first
        raise FileNotFoundError(f"Planetoid raw files missing under {self.raw_dir}")


def _processed_dir(dataset_dir: Path) -> Path:
    """Where PyG's processed copy goes: beside the raw files of a user's folder if it is writable; in the user's
    cache for the bundled files (gnnlab never writes into its installed package) and for read-only folders."""
    preferred = dataset_dir / "processed"
    bundled = dataset_dir.parent.resolve() == bundled_root().resolve()
    if not bundled and (os.access(dataset_dir, os.W_OK) or (preferred.is_dir() and os.access(preferred, os.W_OK))):
        return preferred
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "gnnlab"
    # the bundled copy has a cache of its own: a read-only folder of the same name may hold other files
    return cache / ("bundled" if bundled else "") / dataset_dir.name / "processed"


def _find_corrupt_file(raw_dir: Path, name: str) -> tuple[Path, Exception] | None:
    for file_name in raw_file_names(name):
        part = file_name.split(".", 2)[2]
        try:
            read_file(str(raw_dir), name.lower(), part)
        except (pickle.UnpicklingError, EOFError, ValueError, TypeError, UnicodeDecodeError,
                AttributeError, ImportError, IndexError, KeyError) as error:
            return raw_dir / file_name, error
    return None


def load_planetoid(
    name: str,
    root: str | os.PathLike | None = None,
    split: str = "public",
    normalize_features: bool = True,
    seed: int = 0,
) -> Data:
    """Load Cora or CiteSeer as a :class:`torch_geometric.data.Data` through PyG's :class:`Planetoid`.

    Args:
        name: ``"cora"`` or ``"citeseer"`` (any case).
        root: folder holding ``<Name>/raw/ind.<name>.*``; defaults to :func:`default_root`.
        split: ``"public"``: the Planetoid split (20 labelled nodes per class, 500 validation, 1000 test);
            ``"full"``: the public validation and test nodes, every other node for training;
            ``"random"``: the notes' stratified 60/20/20 split (:func:`gnnlab.data.random_split`).
        normalize_features: row-normalise the bag-of-words features so each row sums to one
            (as in Kipf & Welling 2017).
        seed: seed of the ``"random"`` split; ignored by the others.

    The raw files are read from disk only: nothing is downloaded. Missing files raise
    :class:`FileNotFoundError` and unreadable ones :class:`ValueError`, naming the file.

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

    transform = NormalizeFeatures() if normalize_features else None
    processed = _processed_dir(root_path / canonical)
    try:
        dataset = _BundledPlanetoid(str(root_path), canonical, "public" if split == "random" else split,
                                    str(processed), transform)
    except Exception as error:  # PyG raises whatever its readers raise on a damaged file
        bad = _find_corrupt_file(raw_dir, canonical)
        if bad is None:
            raise
        raise ValueError(f"'{who}' expected a readable Planetoid raw file at '{bad[0]}'; restore it from gnnlab's "
                         f"datasets/ folder or {_SOURCE} (got {type(bad[1]).__name__}: {bad[1]})") from error
    data = dataset[0]
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


__all__ = ["load_planetoid", "default_root", "bundled_root", "raw_file_names", "DATASETS", "num_classes"]
