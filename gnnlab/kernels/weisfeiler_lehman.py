r"""The Weisfeiler-Lehman subtree kernel (Shervashidze et al., "Weisfeiler-Lehman graph kernels", JMLR 2011) and
its explicit feature vectors, the classic graph-embedding baseline of graph classification.

Relabelling is vectorised over every node of every graph at once: the graphs become one disjoint union in CSR
form, each iteration sorts all neighbour labels with one ``np.sort`` of a (node, label) key, and the nodes of
equal degree :math:`d` form one ``(n_d, d + 1)`` array of signatures that a lexicographic sort compresses to
new labels. No Python loop runs per node or per graph after the input is read.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted
from torch_geometric.data import Data

from gnnlab.utils.validation import check_choice, check_edge_index, check_positive_int, fail

#: the choices of ``initial``: node labels, node degrees, or one label for every node
INITIAL_LABELS = ("label", "degree", "constant")


@dataclass
class _Union:
    """The graphs as one disjoint union, nodes numbered graph after graph; node ``v``'s neighbours are
    ``neighbours[indptr[v]:indptr[v + 1]]`` (the sources of its in-edges, each once)."""

    num_graphs: int
    graph: np.ndarray  # (N,) the graph of each node
    indptr: np.ndarray  # (N + 1,)
    neighbours: np.ndarray  # (E,)
    targets: np.ndarray  # (E,) the node whose neighbour each entry of neighbours is
    initial: np.ndarray  # (N,) int64 initial label values


class WeisfeilerLehman(BaseEstimator):
    r"""The Weisfeiler-Lehman subtree kernel between graphs, and its feature vectors.

    Every node starts with a label :math:`\ell^{(0)}(v)` (its node label, its degree, or one label for all)
    and is relabelled ``num_iterations`` times by its own label and the multiset of its neighbours' labels,

    .. math::
        \ell^{(t)}(v) = \operatorname{compress}\Big(\ell^{(t-1)}(v),\
        \operatorname{sort}\big(\{\!\{\ell^{(t-1)}(u) : u \in \mathcal{N}(v)\}\!\}\big)\Big),
        \qquad t = 1, \dots, h,

    where :math:`\operatorname{compress}` numbers the signatures met in :meth:`fit` (a label dictionary per
    iteration). With :math:`c_t(G, \sigma)` the number of nodes of :math:`G` labelled :math:`\sigma` at
    iteration :math:`t`, the feature vector :math:`\phi(G)` concatenates the histograms of iterations
    :math:`0, \dots, h` (the counts of rooted subtree patterns of height :math:`\le h`), and

    .. math::
        k(G, G') = \sum_{t=0}^{h} \sum_{\sigma \in \Sigma_t} c_t(G, \sigma)\, c_t(G', \sigma)
                 = \langle \phi(G), \phi(G') \rangle, \qquad
        \tilde k(G, G') = \frac{k(G, G')}{\sqrt{k(G, G)\, k(G', G')}}\quad(\text{0 where a graph has no nodes}).

    This is grakel's ``WeisfeilerLehman(n_iter=h, base_graph_kernel=VertexHistogram)`` (tested against it: the
    counts exactly, the normalised kernel to rounding): grakel's ``n_iter`` also counts refinement steps
    (:math:`h + 1` histograms), its normalisation is of the summed kernel, and in :meth:`transform` a label not
    met in :meth:`fit` matches nothing, while the new graph's own :math:`k(G', G')` still counts it.
    Use the kernel with ``sklearn.svm.SVC(kernel="precomputed")``, or :meth:`features` with a linear
    classifier (the graph-embedding baseline). Duplicate edges count once; a self-loop makes a node its
    own neighbour; on a directed ``edge_index`` node :math:`i`'s neighbours are the sources :math:`j` of the
    edges :math:`(j, i)` (PyG's ``source_to_target`` flow). ``num_iterations=0`` is the vertex-histogram
    kernel (grakel refuses ``n_iter=0``).

    Args:
        num_iterations: :math:`h`, the refinement steps (0 or more).
        normalize: return :math:`\tilde k` rather than :math:`k` from :meth:`transform` and
            :meth:`fit_transform`.
        node_label: where ``initial="label"`` finds the labels: ``"argmax"`` takes the column of the 1 in
            each one-hot row of ``x`` (TU datasets' node labels; graphs without ``x`` give every node one
            label), any other string names an integer node attribute of shape ``(num_nodes,)``.
        initial: ``"label"`` (``node_label``), ``"degree"`` (the number of neighbours: what IMDB-BINARY,
            which has no node labels, needs) or ``"constant"`` (one label for every node, ignoring ``x``).

    Attributes:
        label_dictionaries_: for each iteration, the labels met in :meth:`fit`: at iteration 0 the sorted
            array of initial label values (label :math:`i` is entry :math:`i`); at iteration :math:`t \ge 1`
            a dict from a degree :math:`d` to the lexicographically sorted ``(m_d, d + 1)`` array of
            signatures (own label, then sorted neighbour labels, all of iteration :math:`t - 1`), numbered
            consecutively in ascending :math:`d`, then row order.
        features_: the fitted graphs' feature matrix (what :meth:`features` gives for them).

    Example::

        >>> import torch
        >>> from torch_geometric.data import Data
        >>> from gnnlab.kernels import WeisfeilerLehman
        >>> path = Data(edge_index=torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]]), num_nodes=3)
        >>> triangle = Data(edge_index=torch.tensor([[0, 1, 1, 2, 2, 0], [1, 0, 2, 1, 0, 2]]), num_nodes=3)
        >>> model = WeisfeilerLehman(num_iterations=1, normalize=False)
        >>> model
        WeisfeilerLehman(num_iterations=1, normalize=False)
        >>> model.fit_transform([path, triangle])  # 3 * 3 alike at iteration 0, then 1 * 3 middles
        array([[14., 12.],
               [12., 18.]])
        >>> model.features([path, triangle]).toarray()  # [label, (label, [label]), (label, [label, label])]
        array([[3., 2., 1.],
               [3., 0., 3.]])
        >>> from gnnlab.data import load_tu
        >>> mutag = load_tu("MUTAG")
        >>> WeisfeilerLehman(num_iterations=3).fit_transform(mutag).shape
        (188, 188)
    """

    def __init__(self, num_iterations: int = 5, normalize: bool = True, node_label: str = "argmax",
                 initial: str = "label") -> None:
        """Store the settings (scikit-learn's rule: no logic here; :meth:`fit` checks them)."""
        self.num_iterations = num_iterations
        self.normalize = normalize
        self.node_label = node_label
        self.initial = initial

    def _check_params(self) -> None:
        who = type(self).__name__
        check_positive_int(who, "num_iterations", self.num_iterations, minimum=0)
        if not isinstance(self.normalize, bool):
            fail(who, "'normalize' to be True or False", repr(self.normalize))
        check_choice(who, "initial", self.initial, INITIAL_LABELS)
        if not isinstance(self.node_label, str) or not self.node_label:
            fail(who, "'node_label' to be 'argmax' or the name of a node attribute", repr(self.node_label))

    def fit(self, graphs: Iterable[Data], y=None) -> WeisfeilerLehman:
        """Learn the label dictionary of every iteration from ``graphs``.

        Args:
            graphs: a sequence of PyG ``Data`` (a list, a PyG dataset such as ``load_tu("MUTAG")``).
            y: ignored (scikit-learn convention).

        Returns:
            ``self``, with ``label_dictionaries_`` and ``features_`` set.

        Example::

            >>> from gnnlab.data import load_tu
            >>> from gnnlab.kernels import WeisfeilerLehman
            >>> model = WeisfeilerLehman(num_iterations=2).fit(load_tu("MUTAG"))
            >>> len(model.label_dictionaries_), model.features_.shape[0]
            (3, 188)
        """
        self._check_params()
        union = _union(type(self).__name__, graphs, self.node_label, self.initial)
        values, labels = np.unique(union.initial, return_inverse=True)
        dictionaries, columns = [values], [labels]
        groups = _degree_groups(union.indptr)
        for _ in range(self.num_iterations):
            labels, dictionary = _refine_fit(union, groups, labels)
            dictionaries.append(dictionary)
            columns.append(labels)
        sizes = [_dictionary_size(d) for d in dictionaries]
        self.label_dictionaries_ = dictionaries
        self._fitted_labelling = {name: getattr(self, name) for name in ("num_iterations", "node_label", "initial")}
        self.features_ = _histograms(union, columns, sizes)[0]
        return self

    def _transform_features(self, graphs: Iterable[Data]) -> tuple[sp.csr_matrix, np.ndarray]:
        """The feature matrix of ``graphs`` in the fitted columns, and each graph's :math:`k(G, G)`, whose
        sum runs over every label, the unseen ones included."""
        check_is_fitted(self)
        self._check_params()
        for name, fitted in self._fitted_labelling.items():
            if getattr(self, name) != fitted:  # the dictionaries would not describe these labels
                fail(type(self).__name__, f"'{name}' as fitted ({fitted!r}; call fit again after set_params)",
                     repr(getattr(self, name)))
        union = _union(type(self).__name__, graphs, self.node_label, self.initial)
        labels = _lookup_initial(self.label_dictionaries_[0], union.initial)
        columns = [labels]
        groups = _degree_groups(union.indptr)
        for dictionary in self.label_dictionaries_[1:]:
            labels = _refine_transform(union, groups, labels, dictionary)
            columns.append(labels)
        return _histograms(union, columns, [_dictionary_size(d) for d in self.label_dictionaries_])

    def features(self, graphs: Iterable[Data]) -> sp.csr_matrix:
        r"""The Weisfeiler-Lehman feature vectors :math:`\phi(G)` of ``graphs``: a graph embedding for a linear
        classifier (scikit-learn's ``LinearSVC`` or ``LogisticRegression`` take it as is).

        Column :math:`\sum_{s<t} |\Sigma_s| + \sigma` counts the nodes labelled :math:`\sigma` at iteration
        :math:`t`. Labels unseen in :meth:`fit` have no column, so a row sums to
        :math:`(h + 1)\,|V|` exactly when all of the graph's labels were met in :meth:`fit` (as for the
        fitted graphs).

        Args:
            graphs: a sequence of PyG ``Data``, labelled as the fitted ones.

        Returns:
            A float64 ``scipy.sparse.csr_matrix`` of shape ``(len(graphs), num_features)`` of exact counts.

        Example::

            >>> from gnnlab.data import load_tu
            >>> from gnnlab.kernels import WeisfeilerLehman
            >>> mutag = load_tu("MUTAG")
            >>> model = WeisfeilerLehman(num_iterations=3).fit(mutag[:150])
            >>> features = model.features(mutag[150:])
            >>> features.shape[0], features.shape[1] == model.features_.shape[1]
            (38, True)
        """
        return self._transform_features(graphs)[0]

    def transform(self, graphs: Iterable[Data]) -> np.ndarray:
        """The kernel matrix between ``graphs`` (rows) and the fitted graphs (columns).

        Args:
            graphs: a sequence of PyG ``Data``, labelled as the fitted ones.

        Returns:
            A float64 array of shape ``(len(graphs), n_fitted)``; normalised when ``normalize``.

        Example::

            >>> from gnnlab.data import load_tu
            >>> from gnnlab.kernels import WeisfeilerLehman
            >>> mutag = load_tu("MUTAG")
            >>> model = WeisfeilerLehman(num_iterations=3).fit(mutag[:150])
            >>> model.transform(mutag[150:]).shape
            (38, 150)
        """
        features, self_kernel = self._transform_features(graphs)
        return self._kernel(features, self_kernel)

    def fit_transform(self, graphs: Iterable[Data], y=None) -> np.ndarray:
        """Fit on ``graphs`` and return their kernel matrix (what ``fit(graphs).transform(graphs)`` gives).

        Args:
            graphs: a sequence of PyG ``Data``.
            y: ignored (scikit-learn convention).

        Returns:
            A float64 array of shape ``(len(graphs), len(graphs))``.

        Example::

            >>> from gnnlab.data import load_tu
            >>> from gnnlab.kernels import WeisfeilerLehman
            >>> kernel = WeisfeilerLehman(num_iterations=3).fit_transform(load_tu("MUTAG"))
            >>> kernel.shape, bool((abs(kernel.diagonal() - 1) < 1e-12).all())
            ((188, 188), True)
        """
        features = self.fit(graphs).features_
        return self._kernel(features, _squared_norms(features))

    def _kernel(self, features: sp.csr_matrix, self_kernel: np.ndarray) -> np.ndarray:
        kernel = _gram(features, self.features_)
        if self.normalize:
            # in place, row then column: no second (n_new, n_fit) array; a graph without nodes has
            # k(G, G) = 0 and a row of zeros, which stays
            kernel *= _inverse_sqrt(self_kernel)[:, None]
            kernel *= _inverse_sqrt(_squared_norms(self.features_))[None, :]
        return kernel

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "features_")

    def __repr__(self, N_CHAR_MAX: int = 700) -> str:
        # the constructor's order, not get_params' alphabetical one; the kernel's two settings always shown
        params = self.get_params(deep=False)
        defaults = type(self)().get_params(deep=False)
        shown = [k for k in ("num_iterations", "normalize", "node_label", "initial")
                 if k in ("num_iterations", "normalize") or params[k] != defaults[k]]
        return f"{type(self).__name__}({', '.join(f'{k}={params[k]!r}' for k in shown)})"


#: a column goes to the dense product when its nonzeros on both sides multiply to this share of the kernel's
#: entries or more: a sparse product's cost grows with that product, a dense one's with the entries alone
DENSE_COLUMN_SHARE = 1e-3


def _gram(left: sp.csr_matrix, right: sp.csr_matrix) -> np.ndarray:
    """``left @ right.T`` as a dense array, exact for counts: the columns most graphs share (the first
    iterations' labels) by one dense BLAS product, the rest by a sparse product."""
    left_counts = np.bincount(left.indices, minlength=left.shape[1]).astype(np.float64)
    right_counts = np.bincount(right.indices, minlength=right.shape[1]).astype(np.float64)
    dense = left_counts * right_counts >= DENSE_COLUMN_SHARE * left.shape[0] * right.shape[0]
    position = np.cumsum(dense) - 1
    parts = []
    for matrix in (left,) if right is left else (left, right):
        in_dense = dense[matrix.indices]
        rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
        block = np.zeros((matrix.shape[0], int(dense.sum())))
        block[rows[in_dense], position[matrix.indices[in_dense]]] = matrix.data[in_dense]
        rest = matrix.copy()  # eliminate_zeros works in place, on arrays a view would share with the caller's
        rest.data[in_dense] = 0.0
        rest.eliminate_zeros()
        parts.append((block, rest))
    (left_block, left_rest), (right_block, right_rest) = parts[0], parts[-1]
    # with one block, numpy sees block @ block.T and takes the symmetric product (half the work)
    kernel = left_block @ right_block.T
    kernel += (left_rest @ right_rest.T).toarray()
    return kernel


def _inverse_sqrt(values: np.ndarray) -> np.ndarray:
    inverse = np.zeros_like(values)
    np.divide(1.0, np.sqrt(values), out=inverse, where=values > 0)
    return inverse


def _squared_norms(features: sp.csr_matrix) -> np.ndarray:
    return np.asarray(features.multiply(features).sum(axis=1)).ravel()


def _dictionary_size(dictionary) -> int:
    return len(dictionary) if isinstance(dictionary, np.ndarray) else sum(len(rows) for rows in dictionary.values())


# --- reading the graphs ----------------------------------------------------------------------------------------

def _as_graph_list(who: str, graphs) -> list[Data]:
    if isinstance(graphs, Data):
        fail(who, "'graphs' to be a sequence of graphs (wrap one graph in a list)", "a single Data", TypeError)
    if not isinstance(graphs, Iterable):
        fail(who, "'graphs' to be a sequence of torch_geometric Data", type(graphs).__name__, TypeError)
    graphs = list(graphs)
    if not graphs:
        fail(who, "'graphs' to hold at least one graph", "an empty sequence")
    for index, graph in enumerate(graphs):
        if not isinstance(graph, Data):
            fail(who, "'graphs' to hold torch_geometric Data", f"{type(graph).__name__} at index {index}", TypeError)
    return graphs


def _union(who: str, graphs, node_label: str, initial: str) -> _Union:
    """Read and check the graphs (edges, initial labels) into one disjoint union."""
    graphs = _as_graph_list(who, graphs)
    sizes = np.array([graph.num_nodes or 0 for graph in graphs], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    empty = torch.empty(2, 0, dtype=torch.long)
    edges = [empty if graph.edge_index is None else graph.edge_index for graph in graphs]
    for index, edge_index in enumerate(edges):
        check_edge_index(who, edge_index, int(sizes[index]), name=f"graphs[{index}].edge_index")
    counts = np.array([edge_index.size(1) for edge_index in edges], dtype=np.int64)
    coo = torch.cat([edge_index.cpu().long() for edge_index in edges], dim=1).numpy()
    coo = coo + np.repeat(offsets[:-1], counts)
    num_nodes = int(offsets[-1])
    # sorted by target, then source, each edge once: CSR rows of in-neighbours, like grakel's edge dictionaries
    key = np.sort(coo[1] * max(num_nodes, 1) + coo[0])
    key = key[np.concatenate([[True], key[1:] != key[:-1]])] if key.size else key
    targets, neighbours = np.divmod(key, max(num_nodes, 1))
    indptr = np.concatenate([[0], np.cumsum(np.bincount(targets, minlength=num_nodes))])
    if initial == "degree":
        values = np.diff(indptr)
    elif initial == "constant" or (node_label == "argmax" and all(graph.x is None for graph in graphs)):
        values = np.zeros(num_nodes, dtype=np.int64)
    else:
        values = _label_values(who, graphs, sizes, offsets, node_label)
    graph_of_node = np.repeat(np.arange(len(graphs)), sizes)
    return _Union(len(graphs), graph_of_node, indptr, neighbours, targets, values.astype(np.int64, copy=False))


def _label_values(who: str, graphs: list[Data], sizes: np.ndarray, offsets: np.ndarray, node_label: str
                  ) -> np.ndarray:
    """The initial label of every node: the argmax of one-hot ``x`` rows, or an integer node attribute."""
    argmax = node_label == "argmax"
    name = "x" if argmax else node_label
    tensors = []
    for index, graph in enumerate(graphs):
        value = graph.x if argmax else getattr(graph, node_label, None)
        if not isinstance(value, torch.Tensor):
            expected = "every graph to have 'x' or none to (graphs without x give every node one label)" \
                if argmax else f"every graph to have the node attribute '{node_label}' (node_label)"
            fail(who, expected, f"{type(value).__name__} at graphs[{index}].{name}")
        if not argmax and value.dim() == 2 and value.size(1) == 1:
            value = value.view(-1)
        if value.dim() != (2 if argmax else 1) or value.size(0) != sizes[index]:
            want = "(num_nodes, F)" if argmax else "(num_nodes,)"
            fail(who, f"'graphs[{index}].{name}' of shape {want} with num_nodes={sizes[index]}",
                 tuple(value.shape))
        tensors.append(value.detach().cpu())
    if argmax:
        widths = {tensor.size(1) for tensor in tensors}
        if len(widths) > 1:
            fail(who, "'x' of one width in every graph (one-hot node labels)", f"widths {sorted(widths)}")
        x = torch.cat(tensors).numpy()
        if len(x) == 0:
            return np.zeros(0, dtype=np.int64)
        # one nonzero per row, and it is a 1
        one_hot = np.count_nonzero(x, axis=1) == 1
        if x.shape[1]:
            labels = x.argmax(axis=1)
            one_hot &= x[np.arange(len(x)), labels] == 1
        if not one_hot.all():
            node = int(np.flatnonzero(~one_hot)[0])
            index = int(np.searchsorted(offsets, node, side="right") - 1)
            fail(who, "one-hot rows in 'x' (node labels; for other labels pass node_label='<attribute>' or "
                 "initial='degree')", f"graphs[{index}].x row {node - offsets[index]} = {x[node].tolist()}")
        return labels
    values = torch.cat(tensors)
    if values.is_floating_point() or values.is_complex():
        fail(who, f"'{node_label}' (node_label) of integer dtype", f"dtype {values.dtype}", TypeError)
    return values.long().numpy()


# --- relabelling -----------------------------------------------------------------------------------------------

def _degree_groups(indptr: np.ndarray) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """``(d, nodes of degree d, (n_d, d) positions of their neighbours in the CSR)`` for every degree met."""
    degree = np.diff(indptr)
    order = np.argsort(degree, kind="stable")
    values, starts = np.unique(degree[order], return_index=True)
    groups = []
    for d, nodes in zip(values.tolist(), np.split(order, starts[1:])):
        groups.append((d, nodes, indptr[nodes][:, None] + np.arange(d)))
    return groups


def _signatures(union: _Union, groups, labels: np.ndarray):
    """For each degree ``d``: ``(d, nodes, (n_d, d + 1) rows of own label then sorted neighbour labels)``."""
    num_labels = int(labels.max()) + 1 if labels.size else 1
    targets = union.targets
    # one sort orders every node's neighbour labels: the key's high part keeps the nodes apart
    sorted_labels = np.sort(targets * num_labels + labels[union.neighbours]) - targets * num_labels
    for d, nodes, positions in groups:
        rows = np.empty((len(nodes), d + 1), dtype=np.int64)
        rows[:, 0] = labels[nodes]
        rows[:, 1:] = sorted_labels[positions]
        yield d, nodes, rows


def _unique_rows(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of ``rows`` in lexicographic order, and each row's index among them."""
    order = np.lexsort(rows.T[::-1])
    ordered = rows[order]
    new = np.ones(len(rows), dtype=bool)
    new[1:] = (ordered[1:] != ordered[:-1]).any(axis=1)
    inverse = np.empty(len(rows), dtype=np.int64)
    inverse[order] = np.cumsum(new) - 1
    return ordered[new], inverse


def _refine_fit(union: _Union, groups, labels: np.ndarray) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """One iteration on the fitted graphs: the new labels and the iteration's dictionary."""
    new_labels = np.empty_like(labels)
    dictionary, start = {}, 0
    for d, nodes, rows in _signatures(union, groups, labels):
        dictionary[d], inverse = _unique_rows(rows)
        new_labels[nodes] = start + inverse
        start += len(dictionary[d])
    return new_labels, dictionary


def _refine_transform(union: _Union, groups, labels: np.ndarray, dictionary: dict[int, np.ndarray]
                      ) -> np.ndarray:
    """One iteration on new graphs: fitted signatures get their label; unseen ones get labels from
    ``len(dictionary)`` on (one per distinct signature), which no fitted signature holds."""
    new_labels = np.empty_like(labels)
    starts, unseen = {}, 0
    for d in sorted(dictionary):
        starts[d], unseen = unseen, unseen + len(dictionary[d])
    for d, nodes, rows in _signatures(union, groups, labels):
        known = dictionary.get(d, np.empty((0, d + 1), dtype=np.int64))
        everything, inverse = _unique_rows(np.concatenate([known, rows]))
        found = np.full(len(everything), -1, dtype=np.int64)
        found[inverse[: len(known)]] = np.arange(len(known))
        index = found[inverse[len(known):]]
        seen = index >= 0
        new_labels[nodes[seen]] = starts.get(d, 0) + index[seen]
        distinct, new = np.unique(inverse[len(known):][~seen], return_inverse=True)
        new_labels[nodes[~seen]] = unseen + new
        unseen += len(distinct)
    return new_labels


def _lookup_initial(values: np.ndarray, initial: np.ndarray) -> np.ndarray:
    """Iteration 0 on new graphs: the fitted label of each value, fresh labels for unseen values."""
    index = np.minimum(np.searchsorted(values, initial), max(len(values) - 1, 0))
    seen = values[index] == initial if len(values) else np.zeros(len(initial), dtype=bool)
    labels = np.where(seen, index, 0)
    labels[~seen] = len(values) + np.unique(initial[~seen], return_inverse=True)[1]
    return labels


def _histograms(union: _Union, columns: list[np.ndarray], sizes: list[int]) -> tuple[sp.csr_matrix, np.ndarray]:
    """The feature matrix (fitted labels only) and each graph's :math:`k(G, G)` over every label."""
    rows, cols, self_kernel, offset = [], [], np.zeros(union.num_graphs), 0
    for labels, size in zip(columns, sizes):
        seen = labels < size
        rows.append(union.graph[seen])
        cols.append(offset + labels[seen])
        offset += size
        if not seen.all():
            base = int(labels.max()) + 1
            keys, counts = np.unique(union.graph[~seen] * base + labels[~seen], return_counts=True)
            self_kernel += np.bincount(keys // base, weights=counts.astype(np.float64) ** 2,
                                       minlength=union.num_graphs)
    rows, cols = np.concatenate(rows), np.concatenate(cols)
    features = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(union.num_graphs, offset))
    features.sum_duplicates()
    return features, self_kernel + _squared_norms(features)
