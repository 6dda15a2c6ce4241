"""The TU graph-classification datasets (MUTAG, PROTEINS, ENZYMES, NCI1, IMDB-BINARY) from the bundled files.

The files are the collection's text format, laid out as PyG's ``TUDataset(root, name)`` expects
(``<root>/<NAME>/raw/<NAME>_A.txt``, ...), and are read with PyG's own reader; nothing is downloaded and no
processed cache is written.
"""
from __future__ import annotations

import os
from pathlib import Path

from torch_geometric.data import InMemoryDataset
from torch_geometric.io import read_tu_data

from gnnlab._catalog import TU_DATASETS, TU_PARTS, TU_SOURCE, data_origin, default_root
from gnnlab.utils.validation import describe, fail


class _TUGraphs(InMemoryDataset):
    """The graphs of one TU dataset held in memory: PyG's dataset interface (``len``, ``dataset[i]``, index
    tensors and slices, ``num_classes``, ``num_features``) without a root folder or a processing step."""

    def __init__(self, name: str, data, slices) -> None:
        super().__init__(None)
        self.name = name
        self.data, self.slices = data, slices

    def __repr__(self) -> str:
        return f"{self.name}({len(self)})"


def tu_root(root: str | os.PathLike | None = None) -> Path:
    """The folder that holds ``<NAME>/raw/`` of the TU datasets: ``root`` when given, else ``TU/`` under
    :func:`~gnnlab.data.default_root` (``$GNNLAB_DATA/TU`` or the bundled files).

    Args:
        root: a folder laid out as PyG's ``TUDataset(root, name)`` expects, or ``None``.

    Example::

        >>> from gnnlab.data.tu import tu_root
        >>> (tu_root() / "MUTAG" / "raw" / "MUTAG_A.txt").is_file()
        True
    """
    return Path(root).expanduser() if root is not None else default_root() / "TU"


def load_tu(name: str, root: str | os.PathLike | None = None, use_node_attr: bool = False,
            use_edge_attr: bool = False) -> InMemoryDataset:
    """Load a TU graph-classification dataset as a sequence of PyG :class:`~torch_geometric.data.Data`, one per
    graph, exactly as PyG's ``TUDataset(root, name)`` gives them.

    Each graph has ``edge_index`` (both directions of every edge, no self-loops), ``y`` (its class, shape
    ``(1,)``), and ``x``: the one-hot node labels (MUTAG 7, PROTEINS 3, ENZYMES 3, NCI1 37), preceded by the
    continuous node attributes when ``use_node_attr`` (PROTEINS 1, ENZYMES 18); IMDB-BINARY has neither, so its
    graphs have ``num_nodes`` and no ``x`` (the papers use node degrees:
    ``torch_geometric.transforms.OneHotDegree``). MUTAG's graphs have ``edge_attr``: its 4 one-hot bond types.

    Args:
        name: ``"MUTAG"``, ``"PROTEINS"``, ``"ENZYMES"``, ``"NCI1"`` or ``"IMDB-BINARY"`` (any case).
        root: folder holding ``<NAME>/raw/<NAME>_*.txt``; defaults to :func:`tu_root`.
        use_node_attr: put the continuous node attributes before the one-hot labels in ``x`` (PyG's option).
        use_edge_attr: keep continuous edge attributes in ``edge_attr`` (PyG's option; none of the five has any).

    Returns:
        A PyG ``InMemoryDataset``: ``len(dataset)`` graphs, ``dataset[i]`` a ``Data``, ``dataset[index]`` a
        subset; ``dataset.num_classes`` and ``dataset.num_features``.

    Missing files raise :class:`FileNotFoundError` naming them and where they were looked for; nothing is
    downloaded.

    Example::

        >>> from gnnlab.data import load_tu
        >>> dataset = load_tu("mutag")
        >>> dataset, dataset.num_classes, dataset.num_features
        (MUTAG(188), 2, 7)
        >>> dataset[0]
        Data(edge_index=[2, 38], x=[17, 7], edge_attr=[38, 4], y=[1])
        >>> load_tu("PROTEINS", use_node_attr=True).num_features  # the attribute, then 3 labels
        4
    """
    who = "load_tu"
    if not isinstance(name, str) or name.lower() not in TU_DATASETS:
        fail(who, f"'name' to be one of {sorted(TU_DATASETS.values())} (any case)", describe(name))
    for option, value in (("use_node_attr", use_node_attr), ("use_edge_attr", use_edge_attr)):
        if not isinstance(value, bool):
            fail(who, f"'{option}' to be True or False", describe(value), TypeError)
    canonical = TU_DATASETS[name.lower()]
    raw_dir = tu_root(root) / canonical / "raw"
    missing = [f"{canonical}_{part}.txt" for part in TU_PARTS if not (raw_dir / f"{canonical}_{part}.txt").is_file()]
    if missing:
        where = data_origin(root, "TU")
        fail(who, f"the TU files of {canonical} in '{raw_dir}' ({where}); copy them there from gnnlab's "
             f"datasets/TU/{canonical}/raw/ (bundled in the package under gnnlab/datasets/) or download them from "
             f"{TU_SOURCE} (gnnlab never downloads)", f"missing {', '.join(missing)}", FileNotFoundError)
    try:
        data, slices, sizes = read_tu_data(str(raw_dir), canonical)
    except Exception as error:  # pandas/torch raise whatever a damaged text file makes them raise
        raise ValueError(f"'{who}' expected readable TU files of {canonical} in '{raw_dir}'; restore them from "
                         f"gnnlab's datasets/TU/ folder or {TU_SOURCE} "
                         f"(got {type(error).__name__}: {error})") from error
    # as TUDataset: the continuous attributes come first in x and edge_attr; drop them unless asked for
    if data.x is not None and not use_node_attr:
        data.x = data.x[:, sizes["num_node_attributes"]:]
    if data.edge_attr is not None and not use_edge_attr:
        data.edge_attr = data.edge_attr[:, sizes["num_edge_attributes"]:]
    return _TUGraphs(canonical, data, slices)


__all__ = ["load_tu", "tu_root"]
