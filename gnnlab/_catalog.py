"""What gnnlab offers, as plain data: the bundled datasets (their sizes and where their files are), the
comparison tasks with their methods, datasets and splits, and the GNN models ``gnnlab train`` builds.

This module imports neither PyTorch nor any other gnnlab module, so the command line describes all of it
(``gnnlab --help``, ``gnnlab datasets``) without loading what it does not run. The modules that do the work take
their names from here (:data:`gnnlab.data.DATASETS`, :data:`gnnlab.experiments.TASKS`), and the test suite
checks every figure against the loaded data.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

#: canonical names of the bundled Planetoid datasets (their folders), by their lower-case spelling
DATASETS = {"cora": "Cora", "citeseer": "CiteSeer", "pubmed": "PubMed"}

#: what ``load_planetoid(name)`` returns (directed edges: each undirected edge twice; the public split)
DATASET_SIZES = {
    "cora": {"nodes": 2708, "edges": 10556, "features": 1433, "classes": 7, "split": (140, 500, 1000)},
    "citeseer": {"nodes": 3327, "edges": 9104, "features": 3703, "classes": 6, "split": (120, 500, 1000)},
    "pubmed": {"nodes": 19717, "edges": 88648, "features": 500, "classes": 3, "split": (60, 500, 1000)},
}

#: the datasets ``gnnlab compare --task node`` and ``--task link`` run without ``--datasets``: Cora and CiteSeer, as
#: before PubMed (a graph 7 times Cora's) was bundled; ``--datasets pubmed`` runs it
PLANETOID_DEFAULT_DATASETS = ("cora", "citeseer")

#: PubMed's bundled ``ind.pubmed.allx`` is a rebuild, not the Planetoid release (which could not be obtained): the
#: same scipy CSR layout, byte length and stored entries, its values within 5e-7 of the released ones
#: (``datasets/PubMed/PROVENANCE.md``). The two files are told apart by their sha256: the loader reads the released
#: file without a word and says so of any other, the rebuild included (:func:`rebuilt_allx`).
PUBMED_ALLX_RELEASED_SHA256 = "508e538e2abdccdd54c4d3e9f49d638b4af7107d85845f66ddea5a5152658b7e"
PUBMED_ALLX_REBUILT_SHA256 = "99e0ede614ad1df3e6fe89f8443c5716204bb91f994db0dbdccea21ec2f1c47b"

#: the bundled TU graph-classification datasets (Morris et al. 2020), by their lower-case spelling: the folders
#: ``<root>/<NAME>/raw/<NAME>_A.txt, ...`` as PyG's ``TUDataset(root, name)`` lays them out
TU_DATASETS = {"mutag": "MUTAG", "proteins": "PROTEINS", "enzymes": "ENZYMES", "nci1": "NCI1",
               "imdb-binary": "IMDB-BINARY"}

#: what ``load_tu(name)`` returns: graphs, nodes and directed edges in all, classes, node features (PyG's
#: default: the one-hot node labels; IMDB-BINARY has none)
TU_SIZES = {
    "mutag": {"graphs": 188, "nodes": 3371, "edges": 7442, "classes": 2, "features": 7},
    "proteins": {"graphs": 1113, "nodes": 43471, "edges": 162088, "classes": 2, "features": 3},
    "enzymes": {"graphs": 600, "nodes": 19580, "edges": 74564, "classes": 6, "features": 3},
    "nci1": {"graphs": 4110, "nodes": 122747, "edges": 265506, "classes": 2, "features": 37},
    "imdb-binary": {"graphs": 1000, "nodes": 19773, "edges": 193062, "classes": 2, "features": 0},
}
TU_SOURCE = "https://chrsmrrs.github.io/datasets/docs/datasets/"
#: the files every TU dataset has, ``<NAME>_<part>.txt``
TU_PARTS = ("A", "graph_indicator", "graph_labels")

#: the bAbI tasks of Li et al.'s Table 1 that a single output answers (``gnnlab babi``; task 19 needs their sequence
#: model, GGS-NN)
BABI_TRAINABLE_TASKS = (4, 15, 16, 18)

PLANETOID_SOURCE = "https://github.com/kimiyoung/planetoid/tree/master/data"
#: the eight raw files of a Planetoid dataset are ``ind.<name>.<part>``
PLANETOID_PARTS = ("x", "tx", "allx", "y", "ty", "ally", "graph", "test.index")

#: ``gnnlab train MODEL``: model name -> class in :mod:`gnnlab.nn`
GNN_MODELS = {"gcn": "GCN", "sage": "GraphSAGE", "gat": "GAT", "ggnn": "GGNN"}


@dataclass(frozen=True)
class TaskInfo:
    """A comparison task as the command line lists it (the runnable :class:`gnnlab.experiments.Task` has these
    names, in this order)."""

    description: str
    methods: tuple[str, ...]
    datasets: tuple[str, ...]
    splits: tuple[str, ...]
    plots: tuple[str, ...]
    #: the datasets a run without ``--datasets`` compares (empty: all of them)
    default_datasets: tuple[str, ...] = ()
    #: the seeds of a run without ``--seeds``
    default_seeds: int = 3
    #: what a "seed" of the task is (the graph task's seeds are its outer folds)
    seed_name: str = "seed"


TASKS = {
    "node": TaskInfo("node classification",
                     ("mlp", "logreg", "labelprop", "deepwalk", "node2vec", "gcn", "sage", "gat", "ggnn"),
                     tuple(DATASETS), ("public", "random"), ("accuracy", "curves", "tsne"),
                     default_datasets=PLANETOID_DEFAULT_DATASETS),
    "link": TaskInfo("link prediction", ("sc", "deepwalk", "node2vec", "gae", "vgae", "gcn", "sage", "gat"),
                     tuple(DATASETS), ("random",), ("scores", "roc", "curves"),
                     default_datasets=PLANETOID_DEFAULT_DATASETS),
    "graph": TaskInfo("graph classification",
                      ("baseline", "wl", "wl_features", "gcn", "sage", "gat", "ggnn", "gin"),
                      tuple(TU_DATASETS), ("folds",), ("accuracy", "curves"), default_datasets=("mutag", "proteins"),
                      default_seeds=10, seed_name="fold"),
}


def raw_file_names(name: str) -> list[str]:
    """The eight Planetoid raw files of dataset ``name`` (``ind.cora.x``, ...).

    Args:
        name: the dataset's name, any case (``"Cora"``, ``"citeseer"``...); the file names use it in lower case.

    Example::

        >>> from gnnlab.data.planetoid import raw_file_names
        >>> raw_file_names("Cora")
        ['ind.cora.x', 'ind.cora.tx', 'ind.cora.allx', 'ind.cora.y', 'ind.cora.ty', 'ind.cora.ally',
         'ind.cora.graph', 'ind.cora.test.index']
    """
    return [f"ind.{name.lower()}.{part}" for part in PLANETOID_PARTS]


#: sha256 of the files :func:`rebuilt_allx` has hashed, by (path, size, modification time): each is read once
_SHA256_SEEN: dict[tuple[str, int, int], str] = {}


def _sha256(path: Path) -> str:
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _SHA256_SEEN:
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        _SHA256_SEEN[key] = digest.hexdigest()
    return _SHA256_SEEN[key]


def rebuilt_allx(name: str, raw_dir: str | os.PathLike) -> str | None:
    """Whether the ``ind.<name>.allx`` in ``raw_dir`` differs from the Planetoid release: ``"rebuilt"`` for the
    rebuild gnnlab bundles for PubMed (:data:`PUBMED_ALLX_REBUILT_SHA256`), ``"unknown"`` for a PubMed file that is
    neither that nor the release, ``None`` for the released file (:data:`PUBMED_ALLX_RELEASED_SHA256`), a missing
    one, and Cora's and CiteSeer's (gnnlab bundles their released files and does not hash them).

    Args:
        name: the dataset's name, any case (``"PubMed"``, ``"cora"``...).
        raw_dir: the folder holding the dataset's raw files (``<root>/PubMed/raw``).

    Example::

        >>> from gnnlab._catalog import bundled_root, rebuilt_allx
        >>> rebuilt_allx("pubmed", bundled_root() / "PubMed" / "raw")
        'rebuilt'
        >>> print(rebuilt_allx("Cora", bundled_root() / "Cora" / "raw"))
        None
    """
    path = Path(raw_dir) / "ind.pubmed.allx"
    if name.lower() != "pubmed" or not path.is_file():
        return None
    digest = _sha256(path)
    if digest == PUBMED_ALLX_RELEASED_SHA256:
        return None
    return "rebuilt" if digest == PUBMED_ALLX_REBUILT_SHA256 else "unknown"


def bundled_root() -> Path:
    """The folder of the Planetoid files shipped with gnnlab: the package ``gnnlab.datasets`` when gnnlab is
    installed, the repository's ``datasets/`` when it runs from a source checkout on ``PYTHONPATH``.

    Example::

        >>> from gnnlab.data.planetoid import bundled_root
        >>> (bundled_root() / "Cora" / "raw" / "ind.cora.x").is_file()
        True
    """
    try:
        return Path(str(resources.files("gnnlab.datasets")))
    except ModuleNotFoundError:  # not installed: datasets/ sits beside the gnnlab/ package folder
        checkout = Path(__file__).resolve().parents[1] / "datasets"
        if (checkout / "LICENSE.planetoid").is_file():
            return checkout
        raise FileNotFoundError(
            f"gnnlab's bundled Planetoid files are missing: the package 'gnnlab.datasets' is not installed and "
            f"{checkout} is not a gnnlab checkout's datasets/ folder (no LICENSE.planetoid there). Reinstall gnnlab, "
            f"or point $GNNLAB_DATA (or root=) at a folder holding <Name>/raw/ind.<name>.* from {PLANETOID_SOURCE}"
        ) from None


def data_origin(root: object, subfolder: str = "") -> str:
    """Where a loader looked, for its missing-file message: the ``root`` argument, ``$GNNLAB_DATA``, or the
    files bundled with gnnlab.

    Args:
        root: the loader's ``root`` argument (``None``: the default folder).
        subfolder: the folder under ``$GNNLAB_DATA`` the loader reads (``"TU"``), if any.

    Example::

        >>> from gnnlab._catalog import data_origin
        >>> data_origin("/data")
        "argument 'root'"
    """
    if root is not None:
        return "argument 'root'"
    if os.environ.get("GNNLAB_DATA"):
        return "$GNNLAB_DATA" + (f"/{subfolder}" if subfolder else "")
    return "the files bundled with gnnlab: reinstall gnnlab"


def default_root() -> Path:
    """Where datasets live: ``$GNNLAB_DATA`` if set, else the files bundled with gnnlab (:func:`bundled_root`).

    Example::

        >>> import os
        >>> from pathlib import Path
        >>> from unittest import mock
        >>> from gnnlab.data import default_root
        >>> from gnnlab.data.planetoid import bundled_root
        >>> with mock.patch.dict(os.environ, {"GNNLAB_DATA": "~/graphs"}):
        ...     print(default_root() == Path.home() / "graphs")
        True
        >>> with mock.patch.dict(os.environ):
        ...     _ = os.environ.pop("GNNLAB_DATA", None)
        ...     print(default_root() == bundled_root())
        True
    """
    env = os.environ.get("GNNLAB_DATA")
    return Path(env).expanduser() if env else bundled_root()
