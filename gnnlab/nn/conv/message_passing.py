r"""gnnlab's message-passing base class, with PyG's contract.

A message-passing layer computes, for every node :math:`i` with incoming edges :math:`j \to i`,

.. math::
    m_{j \to i} = \phi(x_i, x_j, e_{ji}), \qquad
    a_i = \bigoplus_{j \to i} m_{j \to i}, \qquad
    x_i' = \gamma(x_i, a_i),

where :math:`\phi` is :meth:`MessagePassing.message`, :math:`\bigoplus` (sum, mean, max, min or product)
is :meth:`MessagePassing.aggregate` and :math:`\gamma` is :meth:`MessagePassing.update`. The functions
:math:`\phi` and :math:`\gamma` and their weights are the same for every node: this is the notes'
point (section 2.2) that in a GCN "every node in a layer uses the same network to aggregate and update",
the graph analogue of a convolution kernel shared by every pixel.

Where the messages are a fixed weighted sum of neighbour features, :math:`a_i = \sum_{j \to i} w_{ji} x_j`,
the whole step is the sparse product :math:`A X`. A layer states that rule once, in
:meth:`MessagePassing.message_and_aggregate`, and :meth:`MessagePassing.propagate` alone decides when to use it.
"""
from __future__ import annotations

import inspect
import weakref
from typing import Any

import torch
from torch import Tensor, nn

from gnnlab.nn.functional.scatter import scatter
from gnnlab.nn.functional.sparse import SparseMatrix, is_torch_sparse, sparse_entries
from gnnlab.utils.validation import check_choice, check_edge_index, describe

#: Arguments that ``propagate`` fills in itself (PyG's names).
SPECIAL_ARGS = frozenset({"index", "ptr", "dim_size", "size", "size_i", "size_j", "edge_index", "edge_index_i",
                          "edge_index_j", "adj_t"})
AGGREGATIONS = ("sum", "add", "mean", "max", "min", "mul")
FLOWS = ("source_to_target", "target_to_source")
#: the overridable methods, and how many leading positional parameters (after ``self``) are not keywords
_METHODS = {"message": 0, "aggregate": 1, "update": 1, "message_and_aggregate": 1, "edge_update": 0}
_EMPTY = inspect.Parameter.empty
_SIGNATURES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class MessagePassing(nn.Module):
    r"""Base class: :meth:`propagate` calls :meth:`message` → :meth:`aggregate` → :meth:`update` (PyG's contract).

    Args:
        aggr: ``"sum"`` (alias ``"add"``), ``"mean"``, ``"max"``, ``"min"`` or ``"mul"``. A node without
            incoming messages gets zeros (``"mul"``: ones, the empty product, as PyG).
        flow: ``"source_to_target"`` (messages go ``edge_index[0] → edge_index[1]``) or ``"target_to_source"``.
        node_dim: the dimension of node tensors that indexes nodes (``-2``: ``x`` may be ``(N, F)`` or a batch
            ``(B, N, F)`` over one static graph).

    **propagate(edge_index, size=None, \*\*kwargs).** ``edge_index`` is a ``(2, E)`` integer tensor or a
    torch.sparse adjacency ``adj_t`` (COO, CSR or CSC) of shape ``(N_dst, N_src)``, PyG's transposed
    convention; ``size = (N_src, N_dst)`` (for ``target_to_source``: the counts of ``edge_index[0]`` and
    ``edge_index[1]``). Sizes come from ``size``, from the sparse shape, or from the tensors actually
    lifted, never from another keyword. In :meth:`message` (and :meth:`aggregate`, :meth:`update`,
    :meth:`edge_update`) an argument ``<name>_j`` receives ``kwargs[name]`` gathered at each edge's source
    and ``<name>_i`` at its target; a keyword may be a pair ``(x_src, x_dst)`` (bipartite graphs, either
    side ``None``), of which ``_j`` reads the first and ``_i`` the second. Other arguments are passed as
    given. The methods are called **by keyword**: an argument that was not passed keeps its default, and one
    that is neither passed, special nor defaulted is a ``TypeError`` naming the layer and the argument.
    The special arguments are ``index`` (each edge's target), ``ptr`` (always ``None``), ``dim_size``,
    ``size``, ``size_i``, ``size_j``, ``edge_index``, ``edge_index_i``, ``edge_index_j`` and ``adj_t``. With
    a sparse ``adj_t`` its values fill ``edge_weight`` (and ``edge_attr``/``edge_type``) when not passed.

    **edge_updater(edge_index, size=None, \*\*kwargs)** collects the same way and returns :meth:`edge_update`.

    **The fast path.** A layer may define :meth:`message_and_aggregate` ``(adj_t, ...)`` computing
    :meth:`aggregate` of :meth:`message` in one sparse product. ``propagate`` calls it (then :meth:`update`)
    when ``use_sparse`` is true, the class that defines it also defines (or inherits below it) the
    :meth:`message` and :meth:`aggregate` that would otherwise run, and either ``edge_index`` is a sparse
    ``adj_t``, or it is a ``(2, E)`` tensor, ``aggr`` is sum or mean and ``edge_weight`` (the matrix values)
    is absent or a 1-D tensor that needs no gradient; the matrix is then built once and cached while the same
    unmodified ``edge_index``/``edge_weight`` tensors come back. A subclass that overrides :meth:`message`
    or :meth:`aggregate` therefore always gets its override. Set ``use_sparse = False`` to force the
    per-edge path; both give the same result.

    ``target_local`` says that one call's output at node :math:`i` depends only on the features of
    :math:`i` and of its in-neighbours and on the edges into :math:`i`, so that it can be computed on the
    subgraph of a batch of targets and their in-neighbours (layer-wise inference). A layer whose
    coefficients also need the *sources'* degrees (GCN's symmetric normalisation) sets it to ``False``.

    Shapes:
        node tensors ``(N, F)`` or ``(B, N, F)``; ``edge_index: (2, E)`` or ``adj_t: (N_dst, N_src)``;
        ``propagate`` → ``(N_dst, F')``.
    """

    use_sparse: bool = True
    target_local: bool = True
    #: aggregations a subclass handles in its own :meth:`aggregate` besides :data:`AGGREGATIONS`
    extra_aggregations: tuple[str, ...] = ()

    def __init__(self, aggr: str = "sum", *, flow: str = "source_to_target", node_dim: int = -2) -> None:
        super().__init__()
        who = type(self).__name__
        check_choice(who, "aggr", aggr, AGGREGATIONS + self.extra_aggregations)
        check_choice(who, "flow", flow, FLOWS)
        if isinstance(node_dim, bool) or not isinstance(node_dim, int):
            raise TypeError(f"'{who}' expected 'node_dim' to be an int (got {describe(node_dim)})")
        self.aggr = "sum" if aggr == "add" else aggr
        self.flow, self.node_dim = flow, node_dim
        self._fused_cache: tuple[tuple, SparseMatrix] | None = None
        self._checked: tuple | None = None

    # -- the contract --------------------------------------------------------------------------------
    def propagate(self, edge_index: Tensor, size: tuple[int, int] | None = None, **kwargs: Any) -> Tensor:
        """One round of message passing along ``edge_index`` (see the class docstring)."""
        spec = _spec(type(self))
        graph = self._graph(edge_index, size)
        if self.use_sparse and spec["fusable"]:
            adj = self._fused_adjacency(graph, kwargs, spec)
            if adj is not None:
                data = self._collect(spec["fused_args"], graph, kwargs)
                out = self._call("message_and_aggregate", data, kwargs, adj)
                return self._call("update", data, kwargs, out)
        data = self._collect(spec["user_args"], graph, kwargs)
        out = self._call("message", data, kwargs)
        out = self._call("aggregate", data, kwargs, out)
        return self._call("update", data, kwargs, out)

    def edge_updater(self, edge_index: Tensor, size: tuple[int, int] | None = None, **kwargs: Any) -> Any:
        """Compute per-edge values with :meth:`edge_update`, its arguments collected as in :meth:`propagate`."""
        spec = _spec(type(self))
        graph = self._graph(edge_index, size)
        data = self._collect(spec["edge_args"], graph, kwargs, require_size=False)
        return self._call("edge_update", data, kwargs)

    def message(self, x_j: Tensor) -> Tensor:
        r""":math:`\phi`: the message along each edge (default: the source's features).

        Shapes: ``x_j: (E, F)`` → ``(E, F')``."""
        return x_j

    def aggregate(self, inputs: Tensor, index: Tensor, ptr: Tensor | None = None,
                  dim_size: int | None = None) -> Tensor:
        r""":math:`\bigoplus`: reduce the messages ``inputs`` arriving at each target ``index`` into
        ``dim_size`` rows (along ``node_dim``).

        Shapes: ``inputs: (E, F)``, ``index: (E,)`` → ``(dim_size, F)``."""
        if dim_size is None:
            dim_size = int(index.max()) + 1 if index.numel() else 0
        return scatter(inputs, index, dim_size, self.aggr, dim=self.node_dim)

    def message_and_aggregate(self, adj_t: SparseMatrix | Tensor) -> Tensor:
        r"""Optional fused :meth:`message` + :meth:`aggregate`: the sparse product with ``adj_t``
        (``(N_dst, N_src)``, a :class:`~gnnlab.nn.functional.SparseMatrix` built by :meth:`propagate` or the
        torch.sparse tensor that was passed). Not defined by default."""
        raise NotImplementedError

    def update(self, inputs: Tensor) -> Tensor:
        r""":math:`\gamma`: the new node state (default: the aggregate itself).

        Shapes: ``inputs: (N_dst, F')`` → ``(N_dst, F'')``."""
        return inputs

    def edge_update(self) -> Tensor:
        """Per-edge computation run by :meth:`edge_updater`; a layer that uses it defines it."""
        raise NotImplementedError(f"'{type(self).__name__}' calls edge_updater but defines no edge_update")

    # -- how propagate works -------------------------------------------------------------------------
    def _ij(self) -> tuple[int, int]:
        return (1, 0) if self.flow == "source_to_target" else (0, 1)

    def _graph(self, edge_index: Any, size: Any) -> dict:
        """The edges as ``index[0]``/``index[1]`` (rows of ``edge_index``), the sizes ``[N_0, N_1]`` and
        the sparse input's values."""
        who = type(self).__name__
        if is_torch_sparse(edge_index):
            if self.flow == "target_to_source":
                raise ValueError(f"'{who}' expected flow='source_to_target' with a sparse adjacency, which is "
                                 "already the transposed matrix adj_t (got flow='target_to_source'; pass adj_t.t())")
            if edge_index.dim() != 2:
                raise ValueError(f"'{who}' expected a sparse 'adj_t' of shape (N_dst, N_src) "
                                 f"(got {tuple(edge_index.shape)})")
            row, col, values = sparse_entries(edge_index)
            shape = [edge_index.size(1), edge_index.size(0)]
            if size is not None and list(size) != shape:
                raise ValueError(f"'{who}' expected 'size' (N_src, N_dst) = {tuple(shape)} to match the sparse "
                                 f"adj_t of shape {tuple(edge_index.shape)} (got {tuple(size)})")
            return {"edge_index": None, "adj_t": edge_index, "index": (col, row), "values": values, "size": shape}
        if not isinstance(edge_index, Tensor) or edge_index.is_floating_point() or edge_index.is_complex() \
                or edge_index.dim() != 2 or edge_index.size(0) != 2:
            raise ValueError(f"'{who}' expected 'edge_index' to be an integer tensor of shape (2, E) or a "
                             f"torch.sparse adjacency (got {describe(edge_index)})")
        if size is not None and (len(size) != 2 or not all(s is None or isinstance(s, int) for s in size)):
            raise ValueError(f"'{who}' expected 'size' to be a pair (N_src, N_dst) of ints (got {size!r})")
        sizes = [None, None] if size is None else list(size)
        return {"edge_index": edge_index, "adj_t": None, "index": (edge_index[0], edge_index[1]), "values": None,
                "size": sizes}

    def _set_size(self, graph: dict, dim: int, src: Tensor, name: str) -> None:
        count = src.size(self.node_dim)
        known = graph["size"][dim]
        if known is None:
            graph["size"][dim] = count
        elif known != count:
            role = "edge_index[0]" if dim == 0 else "edge_index[1]"
            raise ValueError(f"'{type(self).__name__}' expected '{name}' to have {known} nodes (the nodes of "
                             f"{role}, from 'size' or another argument) along node_dim={self.node_dim} "
                             f"(got {count})")

    def _lifted(self, name: str, dim: int, graph: dict, kwargs: dict, lift: bool = True) -> Any:
        data = kwargs.get(name, _EMPTY)
        if isinstance(data, (tuple, list)):
            if len(data) != 2:
                raise ValueError(f"'{type(self).__name__}' expected '{name}' to be a tensor or a pair "
                                 f"(source, target) (got a sequence of {len(data)})")
            if isinstance(data[1 - dim], Tensor):
                self._set_size(graph, 1 - dim, data[1 - dim], name)
            data = data[dim]
        if isinstance(data, Tensor):
            self._set_size(graph, dim, data, name)
            if lift:
                data = data.index_select(self.node_dim, graph["index"][dim])
        return data

    def _collect(self, names: tuple[str, ...], graph: dict, kwargs: dict, require_size: bool = True) -> dict:
        """The values of ``names`` (lifted where they end in ``_i``/``_j``) and of the special arguments."""
        i, j = self._ij()
        out = {}
        for name in names:
            if name[-2:] in ("_i", "_j"):
                out[name] = self._lifted(name[:-2], j if name[-2:] == "_j" else i, graph, kwargs)
            else:
                out[name] = kwargs.get(name, _EMPTY)
        if graph["values"] is not None:
            values = graph["values"]
            for name, value in (("edge_weight", values), ("edge_attr", values if values.dim() > 1 else None),
                                ("edge_type", values)):
                if out.get(name) is None or out.get(name) is _EMPTY:
                    out[name] = value
        size = graph["size"]
        size_i = size[i] if size[i] is not None else size[j]
        size_j = size[j] if size[j] is not None else size[i]
        if size_i is None and require_size:
            raise ValueError(f"'{type(self).__name__}' cannot tell the number of nodes: pass "
                             "size=(num_src_nodes, num_dst_nodes) to propagate, or a node tensor read as "
                             f"'<name>_i' or '<name>_j' (got keywords {sorted(kwargs)})")
        out.update(edge_index=graph["edge_index"], adj_t=graph["adj_t"], edge_index_i=graph["index"][i],
                   edge_index_j=graph["index"][j], index=graph["index"][i], ptr=None, size=list(size),
                   size_i=size_i, size_j=size_j, dim_size=size_i)
        return out

    def _call(self, method: str, data: dict, passed: dict, *first: Any) -> Any:
        """Call ``method`` by keyword with the collected ``data``; defaults stay where nothing was passed."""
        arguments = {}
        for name, required in _spec(type(self))[method]:
            value = data.get(name, _EMPTY)
            if value is not _EMPTY:
                arguments[name] = value
            elif required:
                source = f"'{name[:-2]}' (read as '{name}')" if name[-2:] in ("_i", "_j") else f"'{name}'"
                raise TypeError(f"'{type(self).__name__}.{method}' requires the argument '{name}', which is "
                                f"neither special nor defaulted, so propagate must receive the keyword {source} "
                                f"(got keywords {sorted(passed)})")
        return getattr(self, method)(*first, **arguments)

    def _fused_adjacency(self, graph: dict, kwargs: dict, spec: dict) -> SparseMatrix | Tensor | None:
        """The matrix :meth:`message_and_aggregate` multiplies with, or ``None`` where the per-edge path runs."""
        if graph["adj_t"] is not None:
            return graph["adj_t"] if self.aggr != "mul" else None
        weight = kwargs.get("edge_weight")
        if self.aggr not in ("sum", "mean") or (weight is not None and (
                not isinstance(weight, Tensor) or weight.dim() != 1 or weight.requires_grad)):
            return None
        i, j = self._ij()
        for name in spec["user_args"]:  # the sizes, as the per-edge path finds them
            if name[-2:] in ("_i", "_j"):
                self._lifted(name[:-2], j if name[-2:] == "_j" else i, graph, kwargs, lift=False)
        edge_index, size = graph["edge_index"], graph["size"]
        shape = (size[i] if size[i] is not None else size[j], size[j] if size[j] is not None else size[i])
        if shape[0] is None:
            return None  # the per-edge path says what is missing
        key = (edge_index, edge_index._version, weight, None if weight is None else weight._version, shape,
               self.flow, edge_index.device)
        if self._fused_cache is not None and _same_key(self._fused_cache[0], key):
            return self._fused_cache[1]
        with torch.no_grad():
            matrix = SparseMatrix.from_coo(graph["index"][i], graph["index"][j], weight, shape)
        self._fused_cache = (key, matrix)
        return matrix

    # -- helpers for layers --------------------------------------------------------------------------
    def check_graph(self, edge_index: Any, num_src: int | None, num_dst: int | None = None,
                    edge_weight: Tensor | None = None) -> None:
        """Validate a ``(2, E)`` ``edge_index`` against the node counts once per tensor (a tensor seen before,
        unmodified, is not checked again), a sparse adjacency by its shape, and ``edge_weight: (E,)``."""
        who = type(self).__name__
        num_dst = num_src if num_dst is None else num_dst
        if edge_weight is not None:
            count = edge_index._nnz() if is_torch_sparse(edge_index) and edge_index.layout == torch.sparse_coo \
                else (edge_index.values().numel() if is_torch_sparse(edge_index) else edge_index.size(-1))
            if not isinstance(edge_weight, Tensor) or edge_weight.dim() != 1 or edge_weight.numel() != count:
                raise ValueError(f"'{who}' expected 'edge_weight' of shape ({count},), one per edge "
                                 f"(got {describe(edge_weight)})")
        if is_torch_sparse(edge_index):
            if num_src is not None and (edge_index.size(1) != num_src or edge_index.size(0) != num_dst):
                raise ValueError(f"'{who}' expected a sparse 'adj_t' of shape (N_dst, N_src) = "
                                 f"({num_dst}, {num_src}) (got {tuple(edge_index.shape)})")
            return
        key = (edge_index, getattr(edge_index, "_version", None), num_src, num_dst)
        if self._checked is not None and _same_key(self._checked, key):
            return
        check_edge_index(who, edge_index, num_src if num_src == num_dst else None)
        if edge_index.numel() and num_src != num_dst:
            for row, count in ((0, num_src), (1, num_dst)):
                if count is not None and int(edge_index[row].max()) >= count:
                    raise ValueError(f"'{who}' expected 'edge_index[{row}]' indices below {count}, the number of "
                                     f"{'source' if row == 0 else 'target'} nodes "
                                     f"(got maximum {int(edge_index[row].max())})")
        self._checked = key

    def __getstate__(self):  # caches hold tensors by identity: do not pickle or deep-copy them
        state = dict(super().__getstate__() if hasattr(super(), "__getstate__") else self.__dict__)
        state["_fused_cache"] = None
        state["_checked"] = None
        return state


def _owner(cls: type, name: str) -> type:
    return next(klass for klass in cls.__mro__ if name in vars(klass))


def _spec(cls: type) -> dict:
    """Per class, once: each method's keyword parameters ``(name, required)``, the user arguments to collect,
    and whether the fused rule may run (its class is not below the one defining ``message``/``aggregate``)."""
    spec = _SIGNATURES.get(cls)
    if spec is not None:
        return spec
    spec = {}
    for method, skip in _METHODS.items():
        parameters = list(inspect.signature(getattr(cls, method)).parameters.values())[1 + skip:]
        spec[method] = tuple((p.name, p.default is _EMPTY) for p in parameters
                             if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD))

    def user(*methods: str) -> tuple[str, ...]:
        names = dict.fromkeys(name for m in methods for name, _ in spec[m] if name not in SPECIAL_ARGS)
        return tuple(names)

    spec["user_args"] = user("message", "aggregate", "update")
    spec["fused_args"] = user("message_and_aggregate", "update")
    spec["edge_args"] = user("edge_update")
    mro = cls.__mro__
    fused = _owner(cls, "message_and_aggregate")
    spec["fusable"] = fused is not MessagePassing and all(
        mro.index(fused) <= mro.index(_owner(cls, name)) for name in ("message", "aggregate"))
    _SIGNATURES[cls] = spec
    return spec


def _same_key(a: tuple, b: tuple) -> bool:
    return all((x is y) if isinstance(x, Tensor) or isinstance(y, Tensor) else x == y for x, y in zip(a, b))
