r"""gnnlab's message-passing base class: PyG's contract, and PyG's class.

A message-passing layer computes, for every node :math:`i` with incoming edges :math:`j \to i`,

.. math::
    m_{j \to i} = \phi(x_i, x_j, e_{ji}), \qquad
    a_i = \bigoplus_{j \to i} m_{j \to i}, \qquad
    x_i' = \gamma(x_i, a_i),

where :math:`\phi` is :meth:`MessagePassing.message`, :math:`\bigoplus` (sum, mean, max, min, product or
any of PyG's aggregation modules) is :meth:`MessagePassing.aggregate` and :math:`\gamma` is
:meth:`MessagePassing.update`. The functions :math:`\phi` and :math:`\gamma` and their weights are the same
for every node: this is the notes' point (section 2.2) that in a GCN "every node in a layer uses the same
network to aggregate and update", the graph analogue of a convolution kernel shared by every pixel.

Where the messages are a fixed weighted sum of neighbour features, :math:`a_i = \sum_{j \to i} w_{ji} x_j`,
the whole step is the sparse product :math:`A X`. A layer states that rule once, in
:meth:`MessagePassing.message_and_aggregate`, and :meth:`MessagePassing.propagate` alone decides when to use it.

**Why a subclass of PyG's class.** gnnlab's :class:`MessagePassing` derives from
``torch_geometric.nn.MessagePassing`` and replaces what runs (:meth:`propagate`, :meth:`edge_updater`,
:meth:`aggregate`), not what a layer or a tool sees. PyG's tools recognise message-passing layers with
``isinstance(module, torch_geometric.nn.MessagePassing)`` (``to_hetero`` and ``torch_geometric.nn.fx`` keep
them as leaves of the traced graph, ``Explainer`` sets their edge masks, ``summary`` lists them); any other
design leaves a gnnlab layer invisible to them, and they then compute something else without a word. So the
constructor, the hook registries, ``explain``'s masks, ``decomposed_layers``, ``reset_parameters``,
``__repr__`` and pickling are PyG's own; gnnlab's :meth:`propagate` is plain Python, readable top to bottom,
with its fast path inside the contract. PyG's TorchScript templates are not generated (gnnlab does not
support ``torch.jit.script``).
"""
from __future__ import annotations

import inspect
import numbers
import weakref
from abc import abstractmethod
from collections.abc import Iterable
from typing import Any

import torch
from torch import Tensor
from torch_geometric import EdgeIndex
from torch_geometric.nn.conv import MessagePassing as PyGMessagePassing

from gnnlab.nn.conv.cache import InputCache
from gnnlab.nn.functional.sparse import SparseMatrix, is_torch_sparse, sparse_entries
from gnnlab.utils.graph import scatter
from gnnlab.utils.validation import check_choice, check_edge_index, check_same_device, describe, is_integer

#: Arguments that ``propagate`` fills in itself (PyG's names).
SPECIAL_ARGS = frozenset({"index", "ptr", "dim_size", "size", "size_i", "size_j", "edge_index", "edge_index_i",
                          "edge_index_j", "adj_t"})
#: the aggregations gnnlab reduces itself (its scatter); any other goes to PyG's aggregation module
AGGREGATIONS = ("sum", "add", "mean", "max", "min", "mul")
FLOWS = ("source_to_target", "target_to_source")
#: the overridable methods, and how many leading positional parameters (after ``self``) are not keywords
_METHODS = {"message": 0, "aggregate": 1, "update": 1, "message_and_aggregate": 1, "edge_update": 0}
_EMPTY = inspect.Parameter.empty
_SIGNATURES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class MessagePassing(PyGMessagePassing):
    r"""Base class: :meth:`propagate` calls :meth:`message` → :meth:`aggregate` → :meth:`update` (PyG's contract).

    Args:
        aggr: ``"sum"`` (alias ``"add"``), ``"mean"``, ``"max"``, ``"min"``, ``"mul"`` (gnnlab's own
            reductions), any other name PyG resolves (``"std"``, ``"softmax"``, ``"median"``, ...), an
            aggregation module (``torch_geometric.nn.aggr.*``), a list of them (outputs concatenated), or
            ``None`` (the layer defines :meth:`aggregate`). A node without incoming messages gets zeros
            (``"mul"``: ones, the empty product, as PyG).
        aggr_kwargs: keyword arguments of the aggregation PyG resolves from a name.
        flow: ``"source_to_target"`` (messages go ``edge_index[0] → edge_index[1]``) or ``"target_to_source"``.
        node_dim: the dimension of node tensors that indexes nodes (``-2``: ``x`` may be ``(N, F)`` or a batch
            ``(B, N, F)`` over one static graph).
        decomposed_layers: split the features into this many slices and pass messages slice by slice (less
            memory on the per-edge path; PyG's option).

    **propagate(edge_index, size=None, \*\*kwargs).** ``edge_index`` is a ``(2, E)`` integer tensor (int64 or
    int32), PyG's ``EdgeIndex`` (its ``sparse_size`` gives the sizes) or a torch.sparse adjacency ``adj_t``
    (COO, CSR or CSC) of shape ``(N_dst, N_src)``, PyG's transposed convention; ``size = (N_src, N_dst)``
    (for ``target_to_source``: the counts of ``edge_index[0]`` and ``edge_index[1]``). Sizes come from
    ``size``, from the sparse shape, or from the tensors actually lifted, never from another keyword. In
    :meth:`message` (and :meth:`aggregate`, :meth:`update`, :meth:`edge_update`) an argument ``<name>_j``
    receives ``kwargs[name]`` gathered at each edge's source and ``<name>_i`` at its target; a keyword may be
    a pair ``(x_src, x_dst)`` (bipartite graphs, either side ``None``), of which ``_j`` reads the first and
    ``_i`` the second. Other arguments are passed as given. The methods are called **by keyword**: an
    argument that was not passed keeps its default, and one that is neither passed, special nor defaulted is a
    ``TypeError`` naming the layer and the argument. The special arguments are ``index`` (each edge's
    target), ``ptr`` (the compressed targets of a sorted ``EdgeIndex``, else ``None``), ``dim_size``,
    ``size``, ``size_i``, ``size_j``, ``edge_index``, ``edge_index_i``, ``edge_index_j`` and ``adj_t``. With
    a sparse ``adj_t`` its values fill ``edge_weight`` (and ``edge_attr``/``edge_type``) when not passed.
    PyG's six hook kinds (``register_propagate_forward_pre_hook`` and the rest) run where PyG runs them,
    with the same arguments; with ``explain`` on (PyG's ``Explainer``), every message passes through
    :meth:`explain_message`, which scales it by its edge's mask.

    **edge_updater(edge_index, size=None, \*\*kwargs)** collects the same way and returns :meth:`edge_update`.

    **The fused path.** A layer may define :meth:`message_and_aggregate` ``(adj_t, ...)``, computing
    :meth:`aggregate` of :meth:`message` in one sparse product. As in PyG, ``propagate`` calls it when the
    caller passed a torch.sparse ``adj_t`` (or an ``EdgeIndex`` sorted by target, for a class with
    ``SUPPORTS_FUSED_EDGE_INDEX``), ``fuse`` is true (the aggregation is ``None`` or one of sum, mean, max,
    min) and ``explain`` is off, and hands it that object. A class that also sets ``fuse_edge_index = True``
    (gnnlab's own layers do) gets the product for a plain ``(2, E)`` ``edge_index`` too, when ``aggr`` is sum
    or mean and ``edge_weight`` (the matrix values) is absent or a 1-D tensor that needs no gradient: the
    method then receives a :class:`~gnnlab.nn.functional.SparseMatrix`, built once and cached while the same
    unmodified ``edge_index``/``edge_weight`` tensors come back (on the CPU, edges already grouped by target, as
    a ``NeighborLoader`` batch's, are taken as its rows without a sort: a repeated edge is then two entries,
    which every sum and mean product treats as their sum). The flag counts only where it is set in the
    class that defines :meth:`message_and_aggregate` or below it, so a subclass that writes its own gets the
    object the caller passed, never gnnlab's private type, unless it opts in itself. Either way the fused method
    runs only when the class that defines it also defines (or inherits below it) the :meth:`message` and
    :meth:`aggregate` that would otherwise run: a subclass that overrides :meth:`message` or :meth:`aggregate`
    always gets its override (:func:`overridden_below`, the rule ``SAGEConv``'s projection before aggregating
    follows too).
    ``use_sparse = False`` forces the per-edge path; both give the same result.

    **Caches.** What a layer keeps from its inputs (that matrix, the ``edge_index`` :meth:`check_graph` last
    validated, a subclass's own: ``GCNConv``'s normalisation, ``GATConv``'s self-loops) is held in
    :class:`~gnnlab.nn.conv.cache.InputCache` attributes, all under its one key rule (tensors by identity and
    in-place version counter, other values by ``==``). :meth:`reset_parameters` empties every one of them, and
    a pickled or copied layer carries none.

    ``target_local`` says that one call's output at node :math:`i` depends only on the features of
    :math:`i` and of its in-neighbours and on the edges into :math:`i`, so that it can be computed on the
    subgraph of a batch of targets and their in-neighbours (layer-wise inference). A layer whose
    coefficients also need the *sources'* degrees (GCN's symmetric normalisation) sets it to ``False``.

    Shapes:
        node tensors ``(N, F)`` or ``(B, N, F)``; ``edge_index: (2, E)`` or ``adj_t: (N_dst, N_src)``;
        ``propagate`` → ``(N_dst, F')``.

    Example::

        >>> import torch
        >>> from gnnlab.nn import MessagePassing
        >>> class NeighbourMean(MessagePassing):
        ...     def __init__(self):
        ...         super().__init__(aggr="mean")
        ...
        ...     def forward(self, x, edge_index):
        ...         return self.propagate(edge_index, x=x)
        ...
        ...     def message(self, x_j):  # x_j: the source's features, gathered per edge
        ...         return x_j
        >>> edge_index = torch.tensor([[0, 2, 1], [1, 1, 2]])  # 0 -> 1, 2 -> 1, 1 -> 2
        >>> x = torch.tensor([[1.0], [2.0], [4.0]])
        >>> NeighbourMean()(x, edge_index)  # node 0 receives no message: zeros
        tensor([[0.0000],
                [2.5000],
                [2.0000]])
    """

    use_sparse: bool = True
    target_local: bool = True
    #: opt in to the fused product over a plain ``edge_index`` (a :class:`SparseMatrix`; see the class docstring)
    fuse_edge_index: bool = False
    #: aggregation names a subclass handles in its own :meth:`aggregate` (not resolved by PyG)
    extra_aggregations: tuple[str, ...] = ()

    def __init__(self, aggr: Any = "sum", *, aggr_kwargs: dict | None = None, flow: str = "source_to_target",
                 node_dim: int = -2, decomposed_layers: int = 1) -> None:
        """See :class:`MessagePassing` for the arguments."""
        who = type(self).__name__
        check_choice(who, "flow", flow, FLOWS)
        for name, value in (("node_dim", node_dim), ("decomposed_layers", decomposed_layers)):
            if not is_integer(value) or (name == "decomposed_layers" and value < 1):
                raise TypeError(f"'{who}' expected '{name}' to be {'a positive' if name[0] == 'd' else 'an'} int "
                                f"(got {describe(value)})")
        own = isinstance(aggr, str) and aggr in self.extra_aggregations
        try:
            super().__init__(None if own else aggr, aggr_kwargs=aggr_kwargs, flow=flow, node_dim=node_dim,
                             decomposed_layers=decomposed_layers)
        except (ValueError, TypeError) as error:
            # only the resolver's refusals are about 'aggr'; anything else (PyG's inspection of the methods) is
            # raised as it is, not dressed up as a bad aggregation
            about_aggr = "resolve" in str(error) or "aggregation" in str(error).lower()
            if not (about_aggr or (isinstance(error, TypeError) and aggr_kwargs)):
                raise
            raise ValueError(f"'{who}' expected 'aggr' to be one of {list(AGGREGATIONS + self.extra_aggregations)}, "
                             f"another aggregation PyG resolves, an Aggregation module, a list of them or None "
                             f"(got {aggr!r}: {error})") from error
        if own:
            self.aggr = aggr
        # what propagate and check_graph keep from their inputs; a subclass adds its own InputCache attributes,
        # which reset_parameters empties and copies do not carry, as these
        self._fused_cache = InputCache()  # the SparseMatrix of the fused product over a plain edge_index
        self._check_cache = InputCache()  # the edge_index check_graph last validated

    def reset_parameters(self) -> None:
        """Reset the aggregation module's parameters (PyG) and empty every cache of the layer (each
        :class:`~gnnlab.nn.conv.cache.InputCache` attribute, a subclass's included)."""
        super().reset_parameters()
        for cache in InputCache.caches_of(self).values():
            cache.clear()

    @property
    def _reduction(self) -> str | None:
        """The name of gnnlab's own reduction for ``aggr``, or ``None`` when PyG's module aggregates."""
        if isinstance(self.aggr, str) and self.aggr in AGGREGATIONS:
            return "sum" if self.aggr == "add" else self.aggr
        return None

    # -- the contract --------------------------------------------------------------------------------
    def propagate(self, edge_index: Any, size: tuple[int, int] | None = None, **kwargs: Any) -> Tensor:
        """One round of message passing along ``edge_index`` (see the class docstring)."""
        for hook in self._propagate_forward_pre_hooks.values():
            res = hook(self, (edge_index, size, kwargs))
            if res is not None:
                edge_index, size, kwargs = res
        spec = _spec(type(self))
        graph = self._graph(edge_index, size)
        check_same_device(type(self).__name__, {"edge_index": edge_index, **kwargs})
        adj = self._fused_input(graph, kwargs, spec)
        if adj is not None:
            data = self._collect(spec["fused_args"], graph, kwargs)
            out = self._call("message_and_aggregate", data, kwargs, adj)
            out = self._call("update", data, kwargs, out)
        elif self.decomposed_layers > 1 and not self.explain:
            out = self._decomposed(graph, kwargs, spec)
        else:
            data = self._collect(spec["user_args"], graph, kwargs)
            out = self._call("message", data, kwargs)
            if self.explain:
                out = self._call("explain_message", data, kwargs, out)
            out = self._call("aggregate", data, kwargs, out)
            out = self._call("update", data, kwargs, out)
        for hook in self._propagate_forward_hooks.values():
            res = hook(self, (edge_index, graph["size"], kwargs), out)
            if res is not None:
                out = res
        return out

    def edge_updater(self, edge_index: Any, size: tuple[int, int] | None = None, **kwargs: Any) -> Any:
        """Compute per-edge values with :meth:`edge_update`, its arguments collected as in :meth:`propagate`."""
        for hook in self._edge_update_forward_pre_hooks.values():
            res = hook(self, (edge_index, size, kwargs))
            if res is not None:
                edge_index, size, kwargs = res
        graph = self._graph(edge_index, size)
        data = self._collect(_spec(type(self))["edge_args"], graph, kwargs, require_size=False)
        out = self._call("edge_update", data, kwargs)
        for hook in self._edge_update_forward_hooks.values():
            res = hook(self, (edge_index, size, kwargs), out)
            if res is not None:
                out = res
        return out

    def message(self, x_j: Tensor) -> Tensor:
        r""":math:`\phi`: the message along each edge (default: the source's features).

        Shapes: ``x_j: (E, F)`` → ``(E, F')``."""
        return x_j

    def aggregate(self, inputs: Tensor, index: Tensor, ptr: Tensor | None = None,
                  dim_size: int | None = None) -> Tensor:
        r""":math:`\bigoplus`: reduce the messages ``inputs`` arriving at each target ``index`` into
        ``dim_size`` rows (along ``node_dim``): gnnlab's scatter for its own reductions, else PyG's
        aggregation module.

        Shapes: ``inputs: (E, F)``, ``index: (E,)`` → ``(dim_size, F)``."""
        reduction = self._reduction
        if reduction is None:
            return super().aggregate(inputs, index, ptr=ptr, dim_size=dim_size)
        if dim_size is None:
            dim_size = int(index.max()) + 1 if index.numel() else 0
        return scatter(inputs, index, self.node_dim, dim_size, reduction)

    @abstractmethod  # PyG's marker: a layer "implements" it only by defining it
    def message_and_aggregate(self, adj_t: Any) -> Tensor:
        r"""Optional fused :meth:`message` + :meth:`aggregate`: the sparse product with ``adj_t``
        (``(N_dst, N_src)``: what the caller passed, or a :class:`~gnnlab.nn.functional.SparseMatrix` for a
        class with ``fuse_edge_index``). Not defined by default."""
        raise NotImplementedError

    def update(self, inputs: Tensor) -> Tensor:
        r""":math:`\gamma`: the new node state (default: the aggregate itself).

        Shapes: ``inputs: (N_dst, F')`` → ``(N_dst, F'')``."""
        return inputs

    @abstractmethod
    def edge_update(self) -> Tensor:
        """Per-edge computation run by :meth:`edge_updater`; a layer that uses it defines it."""
        raise NotImplementedError(f"'{type(self).__name__}' calls edge_updater but defines no edge_update")

    # -- PyG's switches, without its TorchScript templates -------------------------------------------
    def _set_jittable_templates(self, raise_on_error: bool = False) -> None:
        """PyG compiles ``propagate`` from templates for TorchScript; gnnlab's stays the Python above."""

    def __prepare_scriptable__(self):  # torch.jit.script calls it first: say why scripting cannot work
        raise RuntimeError(f"'{type(self).__name__}' is built on gnnlab's MessagePassing, whose propagate is plain "
                           "Python: torch.jit.script is not supported (torch.compile and torch.fx are)")

    @property
    def explain(self) -> bool | None:
        """PyG's explain switch: when true, messages pass through :meth:`explain_message` (no fused path)."""
        return self._explain

    @explain.setter
    def explain(self, explain: bool | None) -> None:
        self._explain = explain

    @property
    def decomposed_layers(self) -> int:
        """The number of feature slices the per-edge path passes messages in (PyG's option)."""
        return self._decomposed_layers

    @decomposed_layers.setter
    def decomposed_layers(self, decomposed_layers: int) -> None:
        self._decomposed_layers = decomposed_layers

    # -- how propagate works -------------------------------------------------------------------------
    def _ij(self) -> tuple[int, int]:
        return (1, 0) if self.flow == "source_to_target" else (0, 1)

    def _graph(self, edge_index: Any, size: Any) -> dict:
        """The edges as ``index[0]``/``index[1]`` (rows of ``edge_index``), the sizes ``[N_0, N_1]``, the
        sparse input's values and a sorted ``EdgeIndex``'s compressed targets."""
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
            return {"edge_index": None, "adj_t": edge_index, "index": (col, row), "values": values, "size": shape,
                    "ptr": None}
        if not isinstance(edge_index, Tensor) or edge_index.is_floating_point() or edge_index.is_complex() \
                or edge_index.dtype == torch.bool or edge_index.dim() != 2 or edge_index.size(0) != 2:
            raise ValueError(f"'{who}' expected 'edge_index' to be an integer tensor of shape (2, E), an EdgeIndex "
                             f"or a torch.sparse adjacency (got {describe(edge_index)})")
        if size is not None and (len(size) != 2 or not all(s is None or isinstance(s, numbers.Integral) for s in size)):
            raise ValueError(f"'{who}' expected 'size' to be a pair (N_src, N_dst) of ints (got {size!r})")
        sizes = [None, None] if size is None else list(size)
        plain, ptr = edge_index, None
        if isinstance(edge_index, EdgeIndex):
            for dim, known in enumerate(edge_index.sparse_size()):
                if known is not None and sizes[dim] is not None and sizes[dim] != known:
                    raise ValueError(f"'{who}' expected 'size' to agree with the EdgeIndex's sparse_size "
                                     f"{edge_index.sparse_size()} (got {tuple(size)})")
                sizes[dim] = known if known is not None else sizes[dim]
            i = self._ij()[0]
            if (edge_index.is_sorted_by_row if i == 0 else edge_index.is_sorted_by_col) and sizes[i] is not None:
                ptr = (edge_index.get_csr() if i == 0 else edge_index.get_csc())[0][0]
            plain = edge_index.as_tensor()
        if plain.dtype != torch.long:
            plain = plain.long()  # scatter_reduce and the sparse constructors index with int64
        return {"edge_index": edge_index, "adj_t": None, "index": (plain[0], plain[1]), "values": None,
                "size": sizes, "ptr": ptr}

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
                index = graph["index"][dim]
                try:
                    data = data.index_select(self.node_dim, index)
                except (IndexError, RuntimeError) as error:
                    count = data.size(self.node_dim)
                    if index.numel() and (int(index.min()) < 0 or int(index.max()) >= count):
                        raise IndexError(f"'{type(self).__name__}' expected 'edge_index' to hold valid indices in "
                                         f"[0, {count}), the rows of '{name}' (got minimum {int(index.min())}, "
                                         f"maximum {int(index.max())})") from error
                    raise
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
                   edge_index_j=graph["index"][j], index=graph["index"][i], ptr=graph["ptr"], size=list(size),
                   size_i=size_i, size_j=size_j, dim_size=size_i)
        return out

    def _call(self, method: str, data: dict, passed: dict, *first: Any) -> Any:
        """Call ``method`` by keyword with the collected ``data`` (defaults stay where nothing was passed),
        running the hooks PyG runs around it."""
        if method == "explain_message":  # replaceable per instance, as PyG's Explainer documents
            parameters = list(inspect.signature(self.explain_message).parameters.values())[1:]
            wanted = tuple((p.name, p.default is _EMPTY) for p in parameters
                           if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD))
        else:
            wanted = _spec(type(self))[method]
        arguments = {}
        for name, required in wanted:
            value = data.get(name, _EMPTY)
            if value is not _EMPTY:
                arguments[name] = value
            elif required:
                source = f"'{name[:-2]}' (read as '{name}')" if name[-2:] in ("_i", "_j") else f"'{name}'"
                raise TypeError(f"'{type(self).__name__}.{method}' requires the argument '{name}', which is "
                                f"neither special nor defaulted, so propagate must receive the keyword {source} "
                                f"(got keywords {sorted(passed)})")
        pre, post = _HOOKS.get(method, (None, None))
        if method == "message_and_aggregate":
            adj = first[0]
            for hook in getattr(self, pre).values():
                res = hook(self, (adj, arguments))
                if res is not None:
                    adj, arguments = res
            out = self.message_and_aggregate(adj, **arguments)
            for hook in getattr(self, post).values():
                res = hook(self, (adj, arguments), out)
                out = out if res is None else res
            return out
        if pre is not None:
            for hook in getattr(self, pre).values():
                res = hook(self, (arguments,))
                if res is not None:
                    arguments = res[0] if isinstance(res, tuple) else res
        out = getattr(self, method)(*first, **arguments)
        if post is not None:
            for hook in getattr(self, post).values():
                res = hook(self, (arguments,), out)
                out = out if res is None else res
        return out

    def _decomposed(self, graph: dict, kwargs: dict, spec: dict) -> Tensor:
        """The per-edge path over ``decomposed_layers`` slices of the features read as ``<name>_j``."""
        names = {name[:-2] for name in spec["user_args"] if name.endswith("_j")}
        slices = {name: kwargs[name].chunk(self.decomposed_layers, -1) for name in names
                  if isinstance(kwargs.get(name), Tensor)}
        outs = []
        for part in range(self.decomposed_layers):
            sliced = {**kwargs, **{name: chunks[part] for name, chunks in slices.items()}}
            data = self._collect(spec["user_args"], graph, sliced)
            out = self._call("message", data, sliced)
            out = self._call("aggregate", data, sliced, out)
            outs.append(self._call("update", data, sliced, out))
        return torch.cat(outs, dim=-1)

    def _fused_input(self, graph: dict, kwargs: dict, spec: dict) -> Any:
        """What :meth:`message_and_aggregate` multiplies with, or ``None`` where the per-edge path runs."""
        if not (self.use_sparse and self.fuse and spec["fusable"]) or self.explain:
            return None
        if graph["adj_t"] is not None:
            return graph["adj_t"]
        edge_index = graph["edge_index"]
        if isinstance(edge_index, EdgeIndex) and self.SUPPORTS_FUSED_EDGE_INDEX and edge_index.is_sorted_by_col:
            return edge_index
        if not spec["fuses_edge_index"]:
            return None
        weight = kwargs.get("edge_weight")
        if self._reduction not in ("sum", "mean") or (weight is not None and (
                not isinstance(weight, Tensor) or weight.dim() != 1 or weight.requires_grad)):
            return None
        i, j = self._ij()
        for name in spec["user_args"]:  # the sizes, as the per-edge path finds them
            if name[-2:] in ("_i", "_j"):
                self._lifted(name[:-2], j if name[-2:] == "_j" else i, graph, kwargs, lift=False)
        size = graph["size"]
        shape = (size[i] if size[i] is not None else size[j], size[j] if size[j] is not None else size[i])
        if shape[0] is None:
            return None  # the per-edge path says what is missing
        key = (edge_index, weight, shape, self.flow, edge_index.device)
        matrix = self._fused_cache.get(key)
        if matrix is None:
            with torch.no_grad():
                matrix = _adjacency(graph["index"][i], graph["index"][j], weight, shape)
            self._fused_cache.put(key, matrix)
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
        key = (edge_index, num_src, num_dst)
        if self._check_cache.get(key):
            return
        plain = edge_index.as_tensor() if isinstance(edge_index, EdgeIndex) else edge_index
        check_edge_index(who, plain, num_src if num_src == num_dst else None)
        if plain.numel() and num_src != num_dst:
            for row, count in ((0, num_src), (1, num_dst)):
                if count is not None and int(plain[row].max()) >= count:
                    raise ValueError(f"'{who}' expected 'edge_index[{row}]' indices below {count}, the number of "
                                     f"{'source' if row == 0 else 'target'} nodes "
                                     f"(got maximum {int(plain[row].max())})")
        self._check_cache.put(key, True)

    def __getstate__(self):  # caches hold tensors by identity: pickles and copies get every one of them empty
        state = super().__getstate__() if hasattr(super(), "__getstate__") else self.__dict__
        return InputCache.without_contents(state)


def _adjacency(target: Tensor, source: Tensor, weight: Tensor | None, shape: tuple[int, int]) -> SparseMatrix:
    """The fused product's matrix: on the CPU, edges already grouped by target (as ``NeighborLoader`` gives
    them) become its rows as they are, without a sort (a repeated edge stays two entries, which the product
    sums); otherwise :meth:`SparseMatrix.from_coo` sorts them (cuSPARSE wants sorted, distinct columns)."""
    if target.device.type == "cpu" and bool((target[1:] >= target[:-1]).all()):
        return SparseMatrix.from_sorted_rows(target, source, weight, shape)
    return SparseMatrix.from_coo(target, source, weight, shape)


#: the hook registries PyG runs before and after each method
_HOOKS = {
    "message": ("_message_forward_pre_hooks", "_message_forward_hooks"),
    "aggregate": ("_aggregate_forward_pre_hooks", "_aggregate_forward_hooks"),
    "message_and_aggregate": ("_message_and_aggregate_forward_pre_hooks", "_message_and_aggregate_forward_hooks"),
}


def _owner(cls: type, name: str) -> type:
    return next(klass for klass in cls.__mro__ if name in vars(klass))


def _spec(cls: type) -> dict:
    """Per class, once: each method's keyword parameters ``(name, required)``, the user arguments to collect,
    whether the fused rule may run (its class is not below the one defining ``message``/``aggregate``) and
    whether that class opted in to the product over a plain ``edge_index``."""
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
    spec["fusable"] = fused not in (MessagePassing, PyGMessagePassing) and not overridden_below(cls, fused)
    spec["fuses_edge_index"] = spec["fusable"] and cls.fuse_edge_index is True and \
        mro.index(_owner(cls, "fuse_edge_index")) <= mro.index(fused)
    _SIGNATURES[cls] = spec
    return spec


def overridden_below(cls: type, owner: type, names: tuple[str, ...] = ("message", "aggregate")) -> bool:
    """Whether ``cls`` runs, for one of ``names``, a method defined ahead of ``owner`` in its MRO (by a subclass
    of ``owner`` or a class mixed in before it) rather than ``owner``'s own or one ``owner`` inherits.

    The one rule for a fast path written for ``owner``'s methods: it may stand in for them only when this is
    false, so that an overridden :meth:`~MessagePassing.message` or :meth:`~MessagePassing.aggregate` always
    runs. :meth:`MessagePassing.propagate` applies it with ``owner`` the class that defines
    ``message_and_aggregate``, ``SAGEConv`` with itself (its projection before aggregating).

    Args:
        cls: the layer's class.
        owner: the class (in ``cls.__mro__``) whose methods the fast path computes.
        names: the methods the fast path stands in for.
    """
    mro = cls.__mro__
    return any(mro.index(_owner(cls, name)) < mro.index(owner) for name in names)


def share_graph_caches(layers: Iterable[MessagePassing]) -> None:
    """Let ``layers`` (a model's layers, all called on the same graph in one forward pass) keep one copy of what
    they derive from that graph alone: the validated ``edge_index`` and the sparse adjacency of the fused product.
    The first layer that sees a new graph builds them; the others find them. Each entry is still keyed by the
    tensor's identity, version, shape and flow, so a layer called on another graph builds its own.

    Args:
        layers: the :class:`MessagePassing` layers to share with each other.

    Example::

        >>> import torch
        >>> from gnnlab.nn import GINConv
        >>> from gnnlab.nn.conv.message_passing import share_graph_caches
        >>> convs = [GINConv(torch.nn.Linear(4, 4)) for _ in range(3)]
        >>> share_graph_caches(convs)
        >>> convs[0]._fused_cache is convs[2]._fused_cache
        True
    """
    layers = [layer for layer in layers if isinstance(layer, MessagePassing)]
    if not layers:
        return
    fused, checked = layers[0]._fused_cache, layers[0]._check_cache
    for layer in layers[1:]:
        layer._fused_cache, layer._check_cache = fused, checked
