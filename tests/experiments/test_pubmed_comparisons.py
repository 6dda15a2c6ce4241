"""PubMed in the node and link comparisons: a dataset of both, with the papers' figures beside it (as
datasets/PubMed/PROVENANCE.md gives them), but not in a comparison run without --datasets."""
from __future__ import annotations

import pytest

import gnnlab.experiments
from gnnlab.cli import main
from gnnlab.data.planetoid import bundled_root
from gnnlab.experiments import LINK, NODE, Comparison, compare, load_published
from tests.experiments.test_compare import scripted_task

PROVENANCE = (bundled_root() / "PubMed" / "PROVENANCE.md").read_text().replace("\n", " ")
#: how PROVENANCE.md names each method
LABELS = {"gcn": "GCN", "gat": "GAT", "deepwalk": "DeepWalk", "labelprop": "label propagation", "mlp": "MLP",
          "sc": "SC", "gae": "GAE", "vgae": "VGAE"}


@pytest.mark.parametrize("task, method", [("node", "labelprop"), ("link", "sc")])
def test_without_datasets_a_comparison_runs_cora_and_citeseer(tmp_path, task, method):
    comparison = Comparison([method], task=task, device="cpu", out_dir=tmp_path, quick=True, verbose=False)
    assert comparison.datasets == ["cora", "citeseer"]
    assert "pubmed" in gnnlab.experiments.TASKS[task].datasets
    assert Comparison([method], ["pubmed"], task=task, device="cpu", out_dir=tmp_path, run_name="p", quick=True,
                      verbose=False).datasets == ["pubmed"]


@pytest.mark.parametrize("task", ["node", "link"])
def test_the_command_line_passes_pubmed_on(tmp_path, monkeypatch, task):
    calls = []

    def recorded(methods, datasets, **options):
        calls.append(datasets)
        return {"table": "", "folder": tmp_path}

    monkeypatch.setattr(gnnlab.experiments, "compare", recorded)
    assert main(["compare", "--task", task, "--quiet", "--datasets", "pubmed"]) == 0
    assert main(["compare", "--task", task, "--quiet"]) == 0
    assert calls == [["pubmed"], None]  # None: the task's default, Cora and CiteSeer (the test above)


def test_the_published_node_figures_are_the_papers():
    published = load_published("node")["pubmed"]
    assert sorted(published) == ["deepwalk", "gat", "gcn", "labelprop", "mlp"]
    for method, entry in published.items():
        assert f"{LABELS[method]} {entry['accuracy']}" in PROVENANCE, method
    assert {method: entry["source"] for method, entry in published.items()} == {
        "gcn": "kipf2017", "deepwalk": "kipf2017", "labelprop": "kipf2017", "gat": "velickovic2018",
        "mlp": "velickovic2018"}


def test_the_published_link_figures_are_the_papers():
    published = load_published("link")["pubmed"]
    assert sorted(published) == ["deepwalk", "gae", "sc", "vgae"]
    for method, entry in published.items():
        assert f"{LABELS[method]} {entry['auc']} / {entry['ap']}" in PROVENANCE, method
        assert entry["source"] == "kipf2016"


@pytest.mark.parametrize("task, bases, shown", [
    (NODE, {"gcn": 0.7, "mlp": 0.6}, ["| method | PubMed (ours) | PubMed (published) |",
                                      "| gcn | 70.0 (1) | 79.0 (Kipf & Welling, ICLR 2017, Table 2) |",
                                      "| mlp | 60.0 (1) | 71.4 (Velickovic et al., ICLR 2018, Table 2) |"]),
    (LINK, {"gae": 0.9, "vgae": 0.8}, ["| gae | 90.0 (1) | 96.4 (Kipf & Welling, NIPS BDL 2016, Table 1) |",
                                       "| vgae | 75.0 (1) | 94.7 (Kipf & Welling, NIPS BDL 2016, Table 1) |"]),
])
def test_the_tables_show_pubmeds_published_figures(tmp_path, task, bases, shown):
    scripted, _ = scripted_task(task, bases)  # scores without training: the AP a method's AUC less 5 points
    table = compare(list(bases), ["pubmed"], split=task.published_split, seeds=1, device="cpu", out_dir=tmp_path,
                    verbose=False, task=scripted)["table"]
    for text in shown:
        assert text in table, table
