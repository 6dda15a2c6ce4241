"""The notes' classic deep learning on real images: scikit-learn's digits, split 60/20/20.

    python experiments/digits.py [--seed 0] [--out results/digits] [--quiet]

Trains an MLP (8x8 inputs), LeNet-5 (inputs resized to 32x32) with and without data augmentation, the
hand-derived TwoLayerNet (no autograd), and a 5-member LeNet-5 ensemble; prints a Markdown table of test
accuracies and saves the training curves as PNG.
"""
from __future__ import annotations

import argparse
import os
from pathlib import Path

import torch

from gnnlab.data import load_digits
from gnnlab.nn import MLP, LeNet5
from gnnlab.nn.manual import TwoLayerNet
from gnnlab.regularize import EarlyStopping, Ensemble, ImageAugmentation
from gnnlab.train import evaluate, fit_classifier
from gnnlab.utils.io import atomic_write


def train_lenet(data, seed: int, augment: bool, verbose: bool):
    torch.manual_seed(seed)
    model = LeNet5()
    history = fit_classifier(model, data["x_train"], data["y_train"], x_val=data["x_val"], y_val=data["y_val"],
                             epochs=40, lr=0.002, batch_size=32, seed=seed, verbose=verbose,
                             augment=ImageAugmentation(max_shift=2, max_degrees=10, seed=seed) if augment else None,
                             early_stopping=EarlyStopping(10, mode="max", monitor="val_acc"))
    return model, history


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--ensemble", type=int, default=5, help="LeNet-5 members in the ensemble")
    parser.add_argument("--out", default="results/digits")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args()
    verbose = not args.quiet
    small, large = load_digits(8, seed=args.seed), load_digits(32, seed=args.seed)
    rows, curves = [], {}

    torch.manual_seed(args.seed)
    mlp = MLP(64, [128], 10, dropout=0.2)
    curves["MLP"] = fit_classifier(mlp, small["x_train"], small["y_train"], x_val=small["x_val"],
                                   y_val=small["y_val"], epochs=100, lr=0.01, batch_size=32, seed=args.seed,
                                   early_stopping=EarlyStopping(20, mode="max", monitor="val_acc"), verbose=verbose)
    rows.append(("MLP 64-128-10, ReLU, dropout 0.2", evaluate(mlp, small["x_test"], small["y_test"])[1]))

    net = TwoLayerNet(64, 64, 10, seed=args.seed)
    manual = net.fit(small["x_train"], small["y_train"], epochs=200, lr=0.5, batch_size=16, seed=args.seed,
                     x_val=small["x_val"], y_val=small["y_val"], verbose=verbose)
    curves["TwoLayerNet (hand-derived backprop)"] = {"train_loss": manual["loss"], "val_acc": manual["val_acc"]}
    rows.append(("TwoLayerNet 64-64-10, sigmoid, no autograd", net.score(small["x_test"].flatten(1), small["y_test"])))

    plain, curves["LeNet-5"] = train_lenet(large, args.seed, False, verbose)
    rows.append(("LeNet-5", evaluate(plain, large["x_test"], large["y_test"])[1]))
    members = []
    for member in range(args.ensemble):
        model, history = train_lenet(large, args.seed + member, True, verbose)
        members.append(model)
        if member == 0:
            curves["LeNet-5 + augmentation"] = history
            rows.append(("LeNet-5 + augmentation (shift 2 px, rotate 10°)",
                         evaluate(model, large["x_test"], large["y_test"])[1]))
    member_scores = [evaluate(m, large["x_test"], large["y_test"])[1] for m in members]
    ensemble = Ensemble(members, "mean").eval()
    with torch.no_grad():
        ensemble_acc = float((ensemble(large["x_test"]).argmax(1) == large["y_test"]).float().mean())
    rows.append((f"Ensemble of {len(members)} augmented LeNet-5 (mean of probabilities; best member "
                 f"{max(member_scores):.4f})", ensemble_acc))

    table = ["| model | test accuracy |", "|---|---|"] + [f"| {name} | {acc:.4f} |" for name, acc in rows]
    print("\n".join(table))
    out = Path(args.out)
    with atomic_write(out / "table.md") as handle:
        handle.write("\n".join(table) + "\n")
    os.environ.setdefault("MPLBACKEND", "Agg")
    import matplotlib.pyplot as plt

    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    for name, history in curves.items():
        left.plot(history["train_loss"], label=name)
        right.plot(history["val_acc"], label=name)
    left.set(xlabel="epoch", ylabel="training loss", yscale="log", title="Training loss")
    right.set(xlabel="epoch", ylabel="validation accuracy", ylim=(0.8, 1.0), title="Validation accuracy")
    right.legend(fontsize=8)
    figure.tight_layout()
    with atomic_write(out / "curves.png", "wb") as handle:
        figure.savefig(handle, format="png", dpi=120)
    print(f"\ntable: {out / 'table.md'}\ncurves: {out / 'curves.png'}")


if __name__ == "__main__":
    main()
