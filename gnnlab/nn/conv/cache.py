r"""The one rule by which gnnlab's layers and models keep what they computed from their inputs.

A layer called again and again on the same graph need not rebuild what depends only on the graph: the
sparse matrix of :meth:`~gnnlab.nn.MessagePassing.propagate`'s fused product, ``GCNConv``'s normalisation,
``GATConv``'s self-loops, the input checks of a layer or a model. Each of them is an :class:`InputCache`,
and all of them follow its rule, stated once here:

* a key is a tuple; a stored key matches a new one when both have the same length and, position by
  position,
* a tensor is the **same object** with the same in-place version counter (``tensor._version``, which
  PyTorch bumps at every in-place edit: ``edge_index[0, 0] = 5`` makes the entry stale), and
* any other value is **equal** (``==``; an object without its own ``__eq__`` is then compared by identity).

A tensor without a version counter (one made under ``torch.inference_mode``) can change unseen, so a key
holding one matches nothing and is not stored. Edits that bypass the counter (through ``.data`` or
``.numpy()``, or a torch.sparse tensor's ``.values()``) are not seen either. The cache holds the key's
tensors, so none of them can be freed and its ``id`` reused while it is stored.

Ownership: a module holding caches as attributes empties every one of them in ``reset_parameters`` and
hands none of them on (:meth:`InputCache.caches_of`, :meth:`InputCache.without_contents`), as
:class:`~gnnlab.nn.MessagePassing` and :class:`~gnnlab.nn.models.NodeModel` do; a cache pickles and
deep-copies as an empty one wherever it is held.
"""
from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

__all__ = ["InputCache"]


class InputCache:
    r"""One value computed from some inputs, kept while the same inputs come back (the module docstring's
    rule: tensors by identity and in-place version counter, other values by ``==``).

    The constructor takes no arguments. :meth:`get` ``(key)`` returns the stored value when ``key`` matches
    the stored key, else ``None`` (so a stored value is never ``None``); :meth:`put` ``(key, value)``
    replaces the entry and returns ``value``; :meth:`clear` empties it; ``bool(cache)`` says whether it holds
    a value. Copies (pickling, ``copy.deepcopy``) are empty.

    Example::

        >>> import copy
        >>> import torch
        >>> from gnnlab.nn.conv.cache import InputCache
        >>> cache = InputCache()
        >>> edge_index = torch.tensor([[0, 1], [1, 0]])
        >>> cache.put((edge_index, 2), "built from edge_index")
        'built from edge_index'
        >>> cache.get((edge_index, 2))
        'built from edge_index'
        >>> cache.get((edge_index.clone(), 2)) is None, cache.get((edge_index, 3)) is None  # other inputs
        (True, True)
        >>> bool(copy.deepcopy(cache))  # copies carry nothing
        False
        >>> edge_index[0, 0] = 1  # an in-place edit bumps the version counter: the entry is stale
        >>> cache.get((edge_index, 2)) is None
        True
    """

    __slots__ = ("_key", "_versions", "_value")

    def __init__(self) -> None:
        """It takes no arguments: see the class docstring."""
        self.clear()

    def get(self, key: tuple) -> Any:
        """The stored value if ``key`` matches the stored key (see the rule), else ``None`` (always under
        ``torch.inference_mode``, whose tensors must not reach a later training step)."""
        if self._value is None or len(key) != len(self._key) or torch.is_inference_mode_enabled():
            return None
        for stored, version, given in zip(self._key, self._versions, key):
            if isinstance(stored, Tensor) or isinstance(given, Tensor):
                if stored is not given or version is None or version != _version(given):
                    return None
            elif not _equal(stored, given):
                return None
        return self._value

    def put(self, key: tuple, value: Any) -> Any:
        """Keep ``value`` (not ``None``) for ``key`` in place of the previous entry, and return it; a key with a
        tensor that has no version counter is not stored."""
        if torch.is_inference_mode_enabled():
            return value
        versions = tuple(_version(entry) if isinstance(entry, Tensor) else None for entry in key)
        if not any(v is None and isinstance(entry, Tensor) for v, entry in zip(versions, key)):
            self._key, self._versions, self._value = tuple(key), versions, value
        return value

    def clear(self) -> None:
        """Forget the entry."""
        self._key, self._versions, self._value = (), (), None

    def __bool__(self) -> bool:
        return self._value is not None

    def __reduce__(self):  # what a cache holds is tied to these very tensors: a copy starts empty
        return (InputCache, ())

    def __repr__(self) -> str:
        return f"InputCache({'holding a ' + type(self._value).__name__ if self else 'empty'})"

    @staticmethod
    def caches_of(holder: Any) -> dict[str, InputCache]:
        """The caches ``holder`` keeps as attributes, by attribute name."""
        return {name: value for name, value in vars(holder).items() if isinstance(value, InputCache)}

    @staticmethod
    def without_contents(state: dict) -> dict:
        """A copy of an object's ``state`` (its ``__getstate__``) with every cache in it replaced by an empty one:
        even a shallow copy of the holder then shares no entry with it."""
        return {name: InputCache() if isinstance(value, InputCache) else value for name, value in state.items()}


def _equal(stored: Any, given: Any) -> bool:
    """Whether two non-tensor key entries are equal; values whose ``==`` is not a truth value (a numpy array
    given where ``None`` was stored) are not equal, so the inputs are checked again and refused there."""
    if stored is given:
        return True
    if type(stored) is not type(given):
        return False
    try:
        return bool(stored == given)
    except (ValueError, TypeError, RuntimeError):
        return False


def _version(tensor: Tensor) -> int | None:
    """The in-place version counter, or ``None`` for a tensor that has none (inference mode)."""
    try:
        return tensor._version
    except RuntimeError:
        return None
