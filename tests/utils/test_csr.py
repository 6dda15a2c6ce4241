"""CSR: the one compressed structure behind walks (out-edges), sampling and layer-wise inference (in-edges),
checked against per-node edge lists built in plain Python."""
import pytest
import torch

from gnnlab.utils import CSR


def _multigraph(num_nodes=9, num_edges=40, seed=0):
    g = torch.Generator().manual_seed(seed)
    edge_index = torch.randint(0, num_nodes - 2, (2, num_edges), generator=g)  # the last two nodes isolated
    return torch.cat([edge_index, edge_index[:, :5], torch.tensor([[3, 3], [3, 3]])], dim=1)  # repeats, loops


@pytest.mark.parametrize("by", ["source", "target"])
def test_rows_hold_exactly_each_nodes_edges_sorted_by_the_other_end(by):
    num_nodes = 9
    edge_index = _multigraph(num_nodes)
    csr = CSR(edge_index, num_nodes, by=by)
    row_of, col_of = (0, 1) if by == "source" else (1, 0)
    expected = {v: [] for v in range(num_nodes)}
    for e, (a, b) in enumerate(edge_index.t().tolist()):
        row, col = (a, b)[row_of], (a, b)[col_of]
        expected[row].append((col, e))
    assert csr.rowptr.tolist() == [sum(len(expected[u]) for u in range(v)) for v in range(num_nodes + 1)]
    assert csr.degree.tolist() == [len(expected[v]) for v in range(num_nodes)]
    for v in range(num_nodes):
        low, high = csr.rowptr[v], csr.rowptr[v + 1]
        got = list(zip(csr.col[low:high].tolist(), csr.edge_id[low:high].tolist()))
        assert got == sorted(expected[v])  # by the other end, repeats in their original order
    assert csr.rows().tolist() == edge_index[row_of][csr.edge_id].tolist()
    assert csr.num_edges == edge_index.size(1)


def test_empty_graph_and_bad_orientation():
    csr = CSR(torch.empty(2, 0, dtype=torch.long), 3, by="target")
    assert csr.rowptr.tolist() == [0, 0, 0, 0] and csr.num_edges == 0 and csr.rows().numel() == 0
    with pytest.raises(ValueError, match="'by'.*'source' or 'target'.*'rows'"):
        CSR(torch.zeros(2, 1, dtype=torch.long), 1, by="rows")
